package dev.bd3.gateway.runs;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.bd3.gateway.GatewayConfig;
import dev.bd3.gateway.queue.OutboxMessage;
import dev.bd3.gateway.queue.OutboxRelay;
import dev.bd3.jobs.CodeVersion;
import dev.bd3.jobs.JobEvent;
import dev.bd3.jobs.Json;
import dev.bd3.jobs.RunStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import java.time.Instant;

/**
 * Ends a run on the gateway's own authority, when no worker will: cancelled while queued or after
 * its worker was lost, failed at its deadline, after its last attempt, or because its job could not
 * be published. The end is also published as the run's event (through the outbox, in the caller's
 * transaction), so that every gateway's event streams end with it.
 */
@ApplicationScoped
public class RunFinisher {
  @Inject GatewayConfig config;
  @Inject Event<OutboxRelay.Written> outboxWritten;

  /** Ends the run (call inside a transaction that holds it). */
  public void end(Run run, RunStatus status, String reason) {
    Instant now = Run.now();
    run.finish(status, now, reason);
    JobEvent event =
        new JobEvent(
            run.id.toString(),
            run.attempt,
            null, // the gateway holds nothing: its own events only end the streams
            "gateway",
            CodeVersion.current(),
            now,
            new JobEvent.Status(status, reason));
    try {
      OutboxMessage.enqueue(
          config.topics().events(), run.id.toString(), Json.mapper().writeValueAsString(event));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    outboxWritten.fire(new OutboxRelay.Written());
  }
}
