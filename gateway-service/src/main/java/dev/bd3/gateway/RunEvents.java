package dev.bd3.gateway;

import dev.bd3.jobs.JobEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import io.smallrye.mutiny.operators.multi.processors.UnicastProcessor;
import io.smallrye.mutiny.subscription.Cancellable;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/** Fans the job events the gateway has applied out to live subscribers (the SSE streams). */
@ApplicationScoped
public class RunEvents {

  /** An event of a known run, fired inside the transaction that applied it. */
  public record Applied(UUID runId, JobEvent event) {}

  private final BroadcastProcessor<Applied> processor = BroadcastProcessor.create();

  /** Passes the event on once its transaction has committed: subscribers see only stored state. */
  void onCommit(@Observes(during = TransactionPhase.AFTER_SUCCESS) Applied applied) {
    processor.onNext(applied);
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
    upstream.set(
        processor
            .select()
            .where(a -> a.runId().equals(runId))
            .subscribe()
            .with(
                a -> {
                  if (done.get()) {
                    return;
                  }
                  buffer.onNext(a.event());
                  if (isTerminal(a.event()) && done.compareAndSet(false, true)) {
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
