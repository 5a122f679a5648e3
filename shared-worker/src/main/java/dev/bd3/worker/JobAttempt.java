package dev.bd3.worker;

import dev.bd3.jobs.JobEvent;
import dev.bd3.jobs.JobRequest;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.Json;
import dev.bd3.jobs.RunStatus;
import dev.bd3.jobs.SpecValidation;
import dev.bd3.jobs.SpecViolation;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.jboss.logging.Logger;

/**
 * One delivery of a job to this worker, run to its end on a job thread: the job is read, checked
 * against the contract's rules, run by the {@link JobHandler}, and its final status reported before
 * the queue settles the delivery. The outcome says how:
 *
 * <ul>
 *   <li>SUCCEEDED or CANCELLED: ACCEPT.
 *   <li>a job that can never succeed (unreadable, invalid, a {@link JobFailure}): FAILED, REJECT.
 *   <li>any other failure: RELEASE for another attempt (the run shows QUEUED with the error), or,
 *       on the last attempt, FAILED "gave up after N attempts: error" and REJECT.
 *   <li>the worker is stopping: the job stops at its next step, RELEASE for another worker.
 *   <li>the lease was lost to another worker: nothing more is reported or acknowledged.
 * </ul>
 */
final class JobAttempt {
  private static final Logger LOG = Logger.getLogger(JobAttempt.class);
  private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(30);

  /** How the delivery is settled; null: not at all (the lease was lost). */
  record Outcome(AcknowledgeType acknowledge, String summary) {}

  private final String key;
  private final String payload;
  private final int delivery;
  private final int attempts;
  private volatile int attempt; // the run's attempt: prior attempts (a replayed job) + delivery
  private final JobHandler handler;
  private final JobEvents events;
  private final Cancellations cancellations;
  private final ArtifactStore artifacts;
  private final Lease lease = new Lease();

  JobAttempt(
      String key,
      String payload,
      int delivery,
      int attempts,
      JobHandler handler,
      JobEvents events,
      Cancellations cancellations,
      ArtifactStore artifacts) {
    this.key = key;
    this.payload = payload;
    this.delivery = delivery;
    this.attempt = delivery;
    this.attempts = attempts;
    this.handler = handler;
    this.events = events;
    this.cancellations = cancellations;
    this.artifacts = artifacts;
  }

  Lease lease() {
    return lease;
  }

  /** The run's attempt this delivery is (what its events say). */
  int attempt() {
    return attempt;
  }

  /** Runs the job to its end; never throws. */
  Outcome run() {
    JobRequest job;
    try {
      job = parse(payload, handler.type());
    } catch (IllegalArgumentException e) {
      LOG.warnf("refused job (key %s): %s", key, e.getMessage());
      return end(key, RunStatus.FAILED, e.getMessage(), AcknowledgeType.REJECT);
    }
    String runId = job.runId();
    attempt = job.priorAttempts() + delivery;
    if (cancellations.isCancelled(runId)) {
      return end(runId, RunStatus.CANCELLED, "cancelled before it started", AcknowledgeType.ACCEPT);
    }
    JobContext context =
        new JobContext(runId, attempt, events, cancellations, artifacts, lease, job.deadline());
    if (context.pastDeadline()) {
      return end(runId, RunStatus.FAILED, deadline(job), AcknowledgeType.REJECT);
    }
    try {
      events.send(runId, attempt, new JobEvent.Status(RunStatus.RUNNING, null));
      LOG.infof("run %s: attempt %d (delivery %d of %d)", runId, attempt, delivery, attempts);
      handler.run(job, context);
    } catch (Lease.LeaseLost e) {
      return lost(runId);
    } catch (JobFailure e) {
      LOG.errorf(e, "run %s failed for good", runId);
      return end(runId, RunStatus.FAILED, e.getMessage(), AcknowledgeType.REJECT);
    } catch (Throwable e) { // a native library error too: the run must not stay RUNNING
      String reason = e.getClass().getSimpleName() + ": " + e.getMessage();
      if (lease.lost()) {
        return lost(runId);
      }
      if (lease.stopping()) {
        return end(runId, RunStatus.QUEUED, "worker stopped: " + reason, AcknowledgeType.RELEASE);
      }
      LOG.errorf(
          e, "run %s: attempt %d (delivery %d of %d) failed", runId, attempt, delivery, attempts);
      return delivery >= attempts
          ? end(
              runId,
              RunStatus.FAILED,
              "gave up after " + attempt + " attempts: " + reason,
              AcknowledgeType.REJECT)
          : end(
              runId,
              RunStatus.QUEUED,
              "attempt " + attempt + " failed: " + reason,
              AcknowledgeType.RELEASE);
    }
    if (lease.lost()) {
      return lost(runId);
    }
    if (lease.stopping()) {
      return end(
          runId,
          RunStatus.QUEUED,
          "worker stopped; the job goes to another worker",
          AcknowledgeType.RELEASE);
    }
    if (context.pastDeadline() && !cancellations.isCancelled(runId)) {
      return end(runId, RunStatus.FAILED, deadline(job), AcknowledgeType.REJECT);
    }
    return cancellations.isCancelled(runId)
        ? end(runId, RunStatus.CANCELLED, "cancelled by request", AcknowledgeType.ACCEPT)
        : end(runId, RunStatus.SUCCEEDED, null, AcknowledgeType.ACCEPT);
  }

  /**
   * Reports the status and only then lets the delivery be settled: settling first could end a job
   * whose final status never reached Kafka. A status that cannot be sent leaves the job to another
   * attempt.
   */
  private Outcome end(String runId, RunStatus status, String reason, AcknowledgeType ack) {
    if (runId == null) {
      return new Outcome(ack, status + ": " + reason);
    }
    try {
      events
          .sendConfirmed(runId, attempt, new JobEvent.Status(status, reason))
          .toCompletableFuture()
          .get(STATUS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return new Outcome(ack, status + (reason == null ? "" : ": " + reason));
    } catch (ExecutionException | TimeoutException e) {
      LOG.errorf("run %s: the status %s did not reach Kafka (%s)", runId, status, e);
      return new Outcome(AcknowledgeType.RELEASE, "status not sent: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Outcome(AcknowledgeType.RELEASE, "interrupted");
    }
  }

  private static String deadline(JobRequest job) {
    return "deadline exceeded (" + job.deadline() + ")";
  }

  private Outcome lost(String runId) {
    LOG.warnf("run %s: attempt %d lost its lease to another worker; stopped", runId, attempt);
    return new Outcome(null, "lease lost");
  }

  /**
   * The job in a message, refused (with the reason) when it cannot be read, is not this worker's
   * kind, or breaks a rule of {@link SpecValidation}: the gateway checks the same rules, so only a
   * message from elsewhere can fail here.
   */
  static JobRequest parse(String payload, JobType expected) {
    JobRequest job;
    try {
      job = Json.mapper().readValue(payload, JobRequest.class);
    } catch (Exception e) {
      throw new IllegalArgumentException("unreadable job: " + e.getMessage(), e);
    }
    if (job.version() != JobRequest.SCHEMA_VERSION) {
      throw new IllegalArgumentException(
          "schema version "
              + job.version()
              + " of the job message; this worker reads version "
              + JobRequest.SCHEMA_VERSION);
    }
    if (job.runId() == null || job.type() == null || job.spec() == null) {
      throw new IllegalArgumentException("unreadable job: runId, type and spec are required");
    }
    if (job.type() != expected) {
      throw new IllegalArgumentException(
          "a " + job.type().json() + " job on the " + expected.json() + " worker");
    }
    List<SpecViolation> violations = SpecValidation.violations(job.spec());
    if (!violations.isEmpty()) {
      throw new IllegalArgumentException("invalid spec: " + SpecValidation.describe(violations));
    }
    return job;
  }
}
