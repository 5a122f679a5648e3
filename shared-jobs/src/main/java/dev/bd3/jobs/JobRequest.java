package dev.bd3.jobs;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Instant;

/**
 * A job as published to {@code bd3.jobs.<type>}, keyed by run id. A worker stops a job that passes
 * its {@code deadline} (none: no deadline) and fails it. A job published again (replayed from the
 * dead letters) counts its attempts on from {@code priorAttempts}.
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
    int priorAttempts) {

  /** The version this code writes and reads. */
  public static final int SCHEMA_VERSION = 1;

  /** A job in this code's version. */
  public JobRequest(
      String runId,
      JobType type,
      JobSpec spec,
      Instant submittedAt,
      Instant deadline,
      int priorAttempts) {
    this(SCHEMA_VERSION, runId, type, spec, submittedAt, deadline, priorAttempts);
  }

  /** The message's version: messages from before versions were written are the first. */
  public int version() {
    return schemaVersion == null ? 1 : schemaVersion;
  }

  /** The same job, published again after {@code attempts} attempts. */
  public JobRequest after(int attempts) {
    return new JobRequest(schemaVersion, runId, type, spec, submittedAt, deadline, attempts);
  }
}
