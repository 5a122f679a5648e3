package dev.bd3.jobs;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Instant;

/**
 * A job as published to {@code bd3.jobs.<type>}, keyed by run id. A worker stops a job that passes
 * its {@code deadline} (none: no deadline) and fails it.
 *
 * <p>Every publication of a run's job (the submission, a hand-on after a worker stopped, a replay
 * from the dead letters) is a new {@code dispatch}: the gateway takes events only from the holder
 * of the run's current dispatch, so a record sent twice, or an old record delivered again after the
 * job was handed on, has no say. A publication counts its deliveries on from {@code priorAttempts}
 * (the run's attempt numbers only grow) and its failures on from {@code priorFailures}; the worker
 * fails the job once failures reach {@code attemptLimit}, the one limit it enforces, written here
 * by the gateway. Graceful stops are not failures.
 */
public record JobRequest(
    // the message's layout; a worker refuses a version it does not read (absent: 1, the first)
    Integer schemaVersion,
    String runId,
    JobType type,
    // the spec's record is named by "type": Json registers each JobType's spec class
    @JsonTypeInfo(
            use = JsonTypeInfo.Id.NAME,
            include = JsonTypeInfo.As.EXTERNAL_PROPERTY,
            property = "type")
        JobSpec spec,
    Instant submittedAt,
    Instant deadline,
    int priorAttempts,
    int priorFailures,
    int attemptLimit,
    String dispatch) {

  /** The version this code writes and reads. */
  public static final int SCHEMA_VERSION = 2;

  /** The most failed attempts a job may be allowed. */
  public static final int MAX_ATTEMPT_LIMIT = 100;

  /** A job in this code's version. */
  public JobRequest(
      String runId,
      JobType type,
      JobSpec spec,
      Instant submittedAt,
      Instant deadline,
      int priorAttempts,
      int priorFailures,
      int attemptLimit,
      String dispatch) {
    this(
        SCHEMA_VERSION,
        runId,
        type,
        spec,
        submittedAt,
        deadline,
        priorAttempts,
        priorFailures,
        attemptLimit,
        dispatch);
  }

  /** The message's version: messages from before versions were written are the first. */
  public int version() {
    return schemaVersion == null ? 1 : schemaVersion;
  }
}
