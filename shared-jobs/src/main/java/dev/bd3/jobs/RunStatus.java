package dev.bd3.jobs;

/** Life cycle of a run: QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED. */
public enum RunStatus {
  QUEUED,
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED;

  public boolean isTerminal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED;
  }
}
