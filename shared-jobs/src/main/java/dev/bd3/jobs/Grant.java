package dev.bd3.jobs;

/**
 * On {@link Topics#control()}: the gateway took this holder as the run's one holder. A worker waits
 * for it before a side effect that a second holder must never repeat (a checkpoint file): the
 * broker cannot see that two records are copies of one job, the gateway can.
 *
 * @param runId the run
 * @param attempt the holder's attempt
 * @param holder the holder
 */
public record Grant(String runId, int attempt, JobEvent.Holder holder) implements HoldNotice {}
