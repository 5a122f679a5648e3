package dev.bd3.worker;

import dev.bd3.jobs.JobEvent;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.lang.management.ManagementFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/** Publishes job events, keyed by run id so that each run's events keep their order. */
@ApplicationScoped
public class JobEvents {
  private final Emitter<JobEvent> emitter;
  private final String worker;

  @Inject
  public JobEvents(
      // a sampler reports every block: buffer rather than fail the job when Kafka lags
      @Channel("job-events") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 16_384)
          Emitter<JobEvent> emitter,
      WorkerConfig config) {
    this.emitter = emitter;
    this.worker = config.id().orElseGet(() -> ManagementFactory.getRuntimeMXBean().getName());
  }

  /** This worker instance's name in events. */
  public String worker() {
    return worker;
  }

  /** Sends an event of a hold without waiting for the broker (progress, metrics, blocks). */
  public void send(String runId, int attempt, JobEvent.Holder holder, JobEvent.Payload payload) {
    sendConfirmed(runId, attempt, holder, payload);
  }

  /** Sends an event; the stage completes once the broker has it, or fails with why not. */
  public CompletionStage<Void> sendConfirmed(
      String runId, int attempt, JobEvent.Holder holder, JobEvent.Payload payload) {
    CompletableFuture<Void> sent = new CompletableFuture<>();
    emitter.send(
        Message.of(JobEvent.of(runId, attempt, holder, worker, payload))
            .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(runId).build())
            .withAck(
                () -> {
                  sent.complete(null);
                  return CompletableFuture.completedFuture(null);
                })
            .withNack(
                failure -> {
                  sent.completeExceptionally(failure);
                  return CompletableFuture.completedFuture(null);
                }));
    return sent;
  }
}
