package dev.bd3.gateway;

import dev.bd3.jobs.JobEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import io.smallrye.mutiny.operators.multi.processors.UnicastProcessor;
import io.smallrye.mutiny.subscription.Cancellable;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Fans every job event out to this gateway's live subscribers (the SSE streams). Each gateway reads
 * the events topic in a consumer group of its own, from the end: with several gateways behind a
 * load balancer, every one sees every event, while only one of them (the shared group's member)
 * applies it to the database.
 */
@ApplicationScoped
public class RunEvents {
  private final BroadcastProcessor<JobEvent> processor = BroadcastProcessor.create();

  @Incoming("live-events")
  public void on(JobEvent event) {
    if (event != null && event.runId() != null) {
      processor.onNext(event);
    }
  }

  /**
   * The events of one run from this call on, buffered until subscribed; the stream completes after
   * a terminal status.
   */
  public Multi<JobEvent> follow(UUID runId) {
    UnicastProcessor<JobEvent> buffer = UnicastProcessor.create();
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<Cancellable> upstream = new AtomicReference<>();
    Runnable release =
        () -> {
          Cancellable subscription = upstream.get();
          if (subscription != null) {
            subscription.cancel();
          }
        };
    String id = runId.toString();
    upstream.set(
        processor
            .select()
            .where(e -> e.runId().equals(id))
            .subscribe()
            .with(
                e -> {
                  if (done.get()) {
                    return;
                  }
                  buffer.onNext(e);
                  if (isTerminal(e) && done.compareAndSet(false, true)) {
                    buffer.onComplete();
                    release.run();
                  }
                }));
    if (done.get()) {
      release.run(); // the run ended while we subscribed
    }
    return buffer
        .onTermination()
        .invoke(
            () -> {
              done.set(true);
              release.run();
            });
  }

  static boolean isTerminal(JobEvent event) {
    return event.payload() instanceof JobEvent.Status s
        && s.status() != null
        && s.status().isTerminal();
  }
}
