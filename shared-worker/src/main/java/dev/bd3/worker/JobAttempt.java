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
import java.util.UUID;
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
 *       once the job's failures reach its attempt limit, FAILED "gave up after N attempts: error"
 *       and REJECT. A delivery that finds the limit already reached (the workers before it died)
 *       fails the job at once.
 *   <li>the worker is stopping: the job stops at its next step and is handed back (ACCEPT, and the
 *       gateway publishes it again): a graceful stop is not a failed attempt.
 *   <li>the lease was lost to another worker: nothing more is reported or acknowledged.
 *   <li>the gateway refused this hold (a {@link dev.bd3.jobs.Fence}): nothing more is reported; a
 *       spent record (a copy, an old one) is acknowledged so that it never comes back.
 * </ul>
 */
final class JobAttempt {
  private static final Logger LOG = Logger.getLogger(JobAttempt.class);
  private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(30);

  /** How the delivery is settled; null: not at all (the lease was lost). */
  record Outcome(AcknowledgeType acknowledge, String summary) {}

  private final String key;
  private final String payload;
  private final String record;
  private final int delivery;
  private final JobHandler handler;
  private final JobEvents events;
  private final Cancellations cancellations;
  private final Holdings holdings;
  private final ArtifactStore artifacts;
  private final Lease lease = new Lease();

  // known once the job is read
  private volatile int attempt; // the run's attempt: prior attempts + delivery
  private volatile JobEvent.Holder holder;
  private volatile boolean claimed; // RUNNING sent: the gateway grants or fences this hold

  JobAttempt(
      String key,
      String payload,
      String record,
      int delivery,
      JobHandler handler,
      JobEvents events,
      Cancellations cancellations,
      Holdings holdings,
      ArtifactStore artifacts) {
    this.key = key;
    this.payload = payload;
    this.record = record;
    this.delivery = delivery;
    this.attempt = delivery;
    this.handler = handler;
    this.events = events;
    this.cancellations = cancellations;
    this.holdings = holdings;
    this.artifacts = artifacts;
  }

  Lease lease() {
    return lease;
  }

  /** Tells the gateway this worker still holds the job (sent with each renewal). */
  void heartbeat() {
    JobEvent.Holder h = holder;
    if (h != null && !lease.lost()) {
      events.send(key, attempt, h, new JobEvent.Heartbeat());
    }
  }

  /** Runs the job to its end; never throws. */
  Outcome run() {
    JobRequest job;
    try {
      job = parse(payload, handler.type());
    } catch (IllegalArgumentException e) {
      LOG.warnf("refused job (key %s): %s", key, e.getMessage());
      return new Outcome(AcknowledgeType.REJECT, "refused: " + e.getMessage());
    }
    String runId = job.runId();
    attempt = job.priorAttempts() + delivery;
    holder = new JobEvent.Holder(job.dispatch(), record);
    holdings.hold(runId, attempt, holder, lease);
    try {
      return run(job);
    } finally {
      holdings.release(runId, lease);
    }
  }

  private Outcome run(JobRequest job) {
    String runId = job.runId();
    int failedBefore = job.priorFailures() + delivery - 1; // each earlier delivery ended badly
    if (cancellations.isCancelled(runId)) {
      return end(runId, RunStatus.CANCELLED, "cancelled before it started", AcknowledgeType.ACCEPT);
    }
    if (failedBefore >= job.attemptLimit()) {
      return end(
          runId,
          RunStatus.FAILED,
          "gave up after " + failedBefore + " attempts: worker lost",
          AcknowledgeType.REJECT);
    }
    JobContext context =
        new JobContext(
            runId, attempt, holder, events, cancellations, artifacts, lease, job.deadline());
    if (context.pastDeadline()) {
      return end(runId, RunStatus.FAILED, deadline(job), AcknowledgeType.REJECT);
    }
    try {
      claim(runId);
      claimed = true;
      lease.claimWith(
          () -> {
            LOG.warnf(
                "run %s: no grant from the gateway yet; claiming attempt %d again", runId, attempt);
            claim(runId);
          });
      LOG.infof(
          "run %s: attempt %d (delivery %d, %d of %d attempts failed before)",
          runId, attempt, delivery, failedBefore, job.attemptLimit());
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
      if (lease.stopping() && !cancellations.isCancelled(runId)) {
        return handBack("worker stopped: " + reason);
      }
      int failed = failedBefore + 1;
      LOG.errorf(
          e, "run %s: attempt %d failed (%d of %d)", runId, attempt, failed, job.attemptLimit());
      return failed >= job.attemptLimit()
          ? end(
              runId,
              RunStatus.FAILED,
              "gave up after " + failed + " attempts: " + reason,
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
    if (cancellations.isCancelled(runId)) {
      return end(runId, RunStatus.CANCELLED, "cancelled by request", AcknowledgeType.ACCEPT);
    }
    if (lease.stopping()) {
      return handBack("worker stopped; the job goes to another worker");
    }
    if (context.pastDeadline()) {
      return end(runId, RunStatus.FAILED, deadline(job), AcknowledgeType.REJECT);
    }
    return end(runId, RunStatus.SUCCEEDED, null, AcknowledgeType.ACCEPT);
  }

  /** Tells the gateway this worker runs the attempt; it grants the hold or fences it off. */
  private void claim(String runId) {
    events.send(runId, attempt, holder, new JobEvent.Status(RunStatus.RUNNING, null));
  }

  /**
   * Gives the job back without counting a failure: the gateway is told first (it publishes the job
   * again, a fresh record), then the record is acknowledged. Told nothing, the gateway could not
   * hand it on, so the record is released instead and the broker delivers it again.
   */
  private Outcome handBack(String reason) {
    return handBack(reason, STATUS_TIMEOUT);
  }

  /** {@link #handBack(String)} waiting at most {@code timeout} for the broker. */
  Outcome handBack(String reason, Duration timeout) {
    if (holder == null) {
      return new Outcome(AcknowledgeType.RELEASE, "worker stopped before reading the job");
    }
    return report(
        new JobEvent.HandedBack(reason), AcknowledgeType.ACCEPT, "handed back: " + reason, timeout);
  }

  /**
   * Reports the status and only then lets the delivery be settled: settling first could end a job
   * whose final status never reached Kafka. A status that cannot be sent leaves the job to another
   * attempt.
   */
  private Outcome end(String runId, RunStatus status, String reason, AcknowledgeType ack) {
    if (claimed && status.isTerminal()) {
      try {
        lease.awaitGrant(); // a copy of the job is fenced off here and reports no end
      } catch (Lease.LeaseLost e) {
        return lost(runId);
      }
    }
    return report(
        new JobEvent.Status(status, reason),
        ack,
        status + (reason == null ? "" : ": " + reason),
        STATUS_TIMEOUT);
  }

  private Outcome report(
      JobEvent.Payload payload, AcknowledgeType ack, String summary, Duration timeout) {
    try {
      events
          .sendConfirmed(key, attempt, holder, payload)
          .toCompletableFuture()
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return new Outcome(ack, summary);
    } catch (ExecutionException | TimeoutException e) {
      LOG.errorf("run %s: %s did not reach Kafka (%s)", key, summary, e);
      return new Outcome(AcknowledgeType.RELEASE, "not reported: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Outcome(AcknowledgeType.RELEASE, "interrupted");
    }
  }

  private static String deadline(JobRequest job) {
    return "deadline exceeded (" + job.deadline() + ")";
  }

  private Outcome lost(String runId) {
    if (lease.spent()) {
      LOG.warnf(
          "run %s: attempt %d was refused by the gateway; its record is spent", runId, attempt);
      return new Outcome(AcknowledgeType.ACCEPT, "refused by the gateway (another holds the run)");
    }
    LOG.warnf("run %s: attempt %d lost its lease to another worker; stopped", runId, attempt);
    return new Outcome(null, "lease lost");
  }

  /**
   * The job in a message, refused (with the reason) when it cannot be read, is not this worker's
   * kind, or breaks a rule of the contract: every field is checked, as a message may come from
   * anywhere; the spec through {@link SpecValidation}, the one validator the gateway uses too.
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
    if (!isUuid(job.runId())) {
      throw new IllegalArgumentException("runId: must be a UUID");
    }
    if (job.dispatch() == null || !isUuid(job.dispatch())) {
      throw new IllegalArgumentException("dispatch: must be a UUID");
    }
    if (job.attemptLimit() < 1 || job.attemptLimit() > JobRequest.MAX_ATTEMPT_LIMIT) {
      throw new IllegalArgumentException(
          "attemptLimit: must be 1 to " + JobRequest.MAX_ATTEMPT_LIMIT);
    }
    if (job.priorAttempts() < 0 || job.priorFailures() < 0) {
      throw new IllegalArgumentException("priorAttempts and priorFailures: must be at least 0");
    }
    List<SpecViolation> violations = SpecValidation.violations(job.spec());
    if (!violations.isEmpty()) {
      throw new IllegalArgumentException("invalid spec: " + SpecValidation.describe(violations));
    }
    return job;
  }

  /** Whether the text is a UUID in its canonical form (what the gateway writes). */
  private static boolean isUuid(String text) {
    try {
      return UUID.fromString(text).toString().equals(text);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
