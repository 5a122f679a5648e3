package dev.bd3.gateway.queue;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.bd3.gateway.GatewayConfig;
import dev.bd3.gateway.runs.Run;
import dev.bd3.jobs.Fence;
import dev.bd3.jobs.Grant;
import dev.bd3.jobs.HoldNotice;
import dev.bd3.jobs.JobEvent;
import dev.bd3.jobs.JobRequest;
import dev.bd3.jobs.JobSpec;
import dev.bd3.jobs.Json;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import java.util.UUID;

/**
 * Publishes a run's job, through the outbox in the caller's transaction: at submission, to hand a
 * job on after its worker stopped, when the broker lost it, and on a replay. Each publication is a
 * fresh dispatch; the run remembers it, and only a holder of that dispatch's record may report on
 * the run. Also tells a worker whether it holds a run ({@link Grant}) or must stop ({@link Fence}),
 * on the control topic.
 */
@ApplicationScoped
public class JobDispatcher {
  @Inject GatewayConfig config;
  @Inject Event<OutboxRelay.Written> outboxWritten;

  /**
   * Publishes the run's job as a new dispatch that counts deliveries on from the run's attempt and
   * has had {@code failures} failed attempts (call inside a transaction that holds the run).
   */
  public void publish(Run run, int failures) {
    JobSpec spec;
    try {
      spec = Json.mapper().readValue(run.spec, run.type.specClass());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("run " + run.id + ": unreadable spec", e);
    }
    run.dispatch = UUID.randomUUID().toString();
    run.holder = null;
    run.priorAttempts = run.attempt;
    run.priorFailures = failures;
    JobRequest job =
        new JobRequest(
            run.id.toString(),
            run.type,
            spec,
            run.createdAt,
            run.deadline,
            run.priorAttempts,
            run.priorFailures,
            config.jobs().attempts(),
            run.dispatch);
    OutboxMessage.enqueue(config.topics().jobs(run.type), run.id.toString(), json(job));
    outboxWritten.fire(new OutboxRelay.Written());
  }

  /** Tells the worker holding ({@code attempt}, {@code holder}) of the run to stop. */
  public void fence(Run run, int attempt, JobEvent.Holder holder) {
    JobEvent.Holder current =
        run.holder == null || run.dispatch == null
            ? null
            : new JobEvent.Holder(run.dispatch, run.holder);
    tell(new Fence(run.id.toString(), attempt, holder, current, run.isTerminal()));
  }

  /** Tells the worker holding ({@code attempt}, {@code holder}) that it holds the run. */
  public void grant(Run run, int attempt, JobEvent.Holder holder) {
    tell(new Grant(run.id.toString(), attempt, holder));
  }

  private void tell(HoldNotice notice) {
    try {
      String payload = Json.mapper().writerFor(HoldNotice.class).writeValueAsString(notice);
      OutboxMessage.enqueue(config.topics().control(), notice.runId(), payload);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    outboxWritten.fire(new OutboxRelay.Written());
  }

  private static String json(Object value) {
    try {
      return Json.mapper().writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
