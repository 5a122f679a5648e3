package dev.bd3.gateway.runs;

import dev.bd3.jobs.JobType;
import dev.bd3.jobs.RunStatus;
import java.time.Instant;
import java.util.UUID;

/** One line of {@code GET /api/v1/runs}. */
public record RunSummary(
    UUID id,
    JobType type,
    RunStatus status,
    String name,
    String owner,
    int attempt,
    String worker,
    String error,
    Instant createdAt,
    Instant startedAt,
    Instant finishedAt,
    RunView.Progress progress,
    // the training run an evaluation or sample job reads (none for training)
    UUID parentRunId) {

  public static RunSummary of(Run run) {
    return new RunSummary(
        run.id,
        run.type,
        run.status,
        run.name,
        run.owner,
        run.attempt,
        run.worker,
        run.error,
        run.createdAt,
        run.startedAt,
        run.finishedAt,
        RunView.Progress.of(run),
        run.parentRunId);
  }
}
