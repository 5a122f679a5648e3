package dev.bd3.worker;

import dev.bd3.jobs.JobEvent;
import dev.bd3.jobs.JobRequest;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.Json;
import dev.bd3.jobs.RunStatus;
import dev.bd3.jobs.SpecValidation;
import dev.bd3.jobs.SpecViolation;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Takes jobs from this worker's topic one at a time and runs them with the application's {@link
 * JobHandler}.
 *
 * <p>A job is acknowledged only when it ends (SUCCEEDED, FAILED or CANCELLED). A worker that dies
 * mid-job leaves its offset uncommitted, so Kafka hands the job to the next consumer, which resumes
 * from the run's newest checkpoint. A message that cannot be parsed, or a job that fails, is
 * nacked: the channel's dead-letter strategy sends it to {@code bd3.jobs.dlq} with the reason, and
 * the consumer goes on.
 */
@ApplicationScoped
public class JobConsumer {
  private static final Logger LOG = Logger.getLogger(JobConsumer.class);

  private final JobHandler handler;
  private final JobEvents events;
  private final Cancellations cancellations;
  private final WorkerConfig config;

  @Inject
  public JobConsumer(
      JobHandler handler, JobEvents events, Cancellations cancellations, WorkerConfig config) {
    this.handler = handler;
    this.events = events;
    this.cancellations = cancellations;
    this.config = config;
    OfflineEngine.configure(config.djlCacheDir());
  }

  @Incoming("jobs")
  @Blocking("bd3-jobs")
  public CompletionStage<Void> on(Message<String> message) {
    Optional<String> key = kafkaKey(message);
    JobRequest job;
    try {
      job = parse(message.getPayload(), handler.type());
    } catch (IllegalArgumentException e) {
      LOG.warnf("refused job (key %s): %s", key.orElse("none"), e.getMessage());
      key.ifPresent(runId -> status(runId, RunStatus.FAILED, e.getMessage()));
      return message.nack(e);
    }
    if (cancellations.isCancelled(job.runId())) {
      return finish(message, job.runId(), RunStatus.CANCELLED, "cancelled before it started", null);
    }
    status(job.runId(), RunStatus.RUNNING, null);
    JobContext context = new JobContext(job.runId(), events, cancellations, config.artifactDir());
    try {
      handler.run(job, context);
    } catch (Throwable e) { // a native library error too: the run must not stay RUNNING
      LOG.errorf(e, "run %s failed", job.runId());
      String reason = e.getClass().getSimpleName() + ": " + e.getMessage();
      return finish(message, job.runId(), RunStatus.FAILED, reason, e);
    }
    return context.cancelled()
        ? finish(message, job.runId(), RunStatus.CANCELLED, "cancelled by request", null)
        : finish(message, job.runId(), RunStatus.SUCCEEDED, null, null);
  }

  /**
   * Reports the final status and only then settles the job: acknowledged, or nacked to the
   * dead-letter topic when it failed. Acknowledging first could commit the offset of a job whose
   * final status never reached Kafka, leaving its run RUNNING for good.
   */
  private CompletionStage<Void> finish(
      Message<String> message, String runId, RunStatus status, String reason, Throwable failure) {
    return events
        .sendConfirmed(runId, new JobEvent.Status(status, reason))
        .handle((sent, sendFailure) -> sendFailure == null ? failure : sendFailure)
        .thenCompose(error -> error == null ? message.ack() : message.nack(error));
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

  private void status(String runId, RunStatus status, String reason) {
    events.send(runId, new JobEvent.Status(status, reason));
  }

  private static Optional<String> kafkaKey(Message<String> message) {
    return message
        .getMetadata(IncomingKafkaRecordMetadata.class)
        .map(IncomingKafkaRecordMetadata::getKey)
        .map(Object::toString);
  }
}
