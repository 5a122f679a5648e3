package dev.bd3.jobs;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Instant;

/**
 * A job as published to {@code bd3.jobs.<type>}, keyed by run id. A worker stops a job that passes
 * its {@code deadline} (none: no deadline) and fails it. A job published again (replayed from the
 * dead letters) counts its attempts on from {@code priorAttempts}.
 */
public record JobRequest(
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

  /** The same job, published again after {@code attempts} attempts. */
  public JobRequest after(int attempts) {
    return new JobRequest(runId, type, spec, submittedAt, deadline, attempts);
  }
}
