package dev.bd3.worker;

import dev.bd3.jobs.JobEvent;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.lang.management.ManagementFactory;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;

/** Publishes job events, keyed by run id so that each run's events keep their order. */
@ApplicationScoped
public class JobEvents {
  private final Emitter<JobEvent> emitter;
  private final String worker;

  @Inject
  public JobEvents(@Channel("job-events") Emitter<JobEvent> emitter, WorkerConfig config) {
    this.emitter = emitter;
    this.worker = config.id().orElseGet(() -> ManagementFactory.getRuntimeMXBean().getName());
  }

  public String worker() {
    return worker;
  }

  public void send(String runId, JobEvent.Payload payload) {
    JobEvent event = JobEvent.of(runId, worker, payload);
    emitter.send(
        Message.of(event)
            .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(runId).build()));
  }
}
