package dev.bd3.jobs;

/**
 * On {@link Topics#control()}: the gateway refused a worker's hold on a run, so that worker stops
 * at once without writing anything more. The gateway sends one when a second holder shows up for a
 * run (a copy of its record, an old record of a job handed on since, a job of a run that has ended)
 * and when a later delivery takes a run over from an earlier holder.
 *
 * @param runId the run
 * @param attempt the refused holder's attempt
 * @param holder the refused holder
 * @param current who holds the run now (null: nobody yet)
 * @param ended whether the run has ended
 */
public record Fence(
    String runId, int attempt, JobEvent.Holder holder, JobEvent.Holder current, boolean ended)
    implements HoldNotice {

  /**
   * Whether the refused holder's record is spent and must be acknowledged (ACCEPT), so that it is
   * never delivered again: it is a copy, or of an old dispatch, or its run is over. Not when the
   * current holder holds the same record (a later delivery of it): acknowledging would end that
   * holder's delivery.
   */
  public boolean recordSpent() {
    return ended || current == null || !current.equals(holder);
  }
}
