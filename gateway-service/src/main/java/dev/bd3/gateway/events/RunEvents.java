package dev.bd3.gateway.events;

import dev.bd3.gateway.GatewayConfig;
import dev.bd3.gateway.problems.ProblemException;
import dev.bd3.gateway.runs.Run;
import dev.bd3.jobs.JobEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import io.smallrye.mutiny.subscription.Cancellable;
import io.smallrye.mutiny.subscription.MultiEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Fans every job event out to this gateway's live subscribers (the SSE streams). Each gateway reads
 * the events topic in a consumer group of its own, from the end: with several gateways behind a
 * load balancer, every one sees every event, while only one of them (the shared group's member)
 * applies it to the database.
 *
 * <p>A stream is bounded three ways: it carries only its run's holder's events (not those of a
 * worker that lost the run, or of a copy of its job), it buffers at most {@code
 * bd3.gateway.runs.stream-buffer} events for a slow client (the oldest progress, heartbeats and
 * metrics go first; a client too slow even then is told so and let go), and one key follows at most
 * {@code bd3.gateway.runs.streams-per-key} runs at once.
 */
@ApplicationScoped
public class RunEvents {
  private final BroadcastProcessor<JobEvent> processor = BroadcastProcessor.create();
  private final Map<String, AtomicInteger> streams = new ConcurrentHashMap<>();

  @Inject GatewayConfig config;

  @Incoming("live-events")
  public void on(JobEvent event) {
    if (event != null && event.runId() != null) {
      processor.onNext(event);
    }
  }

  /**
   * The events of one run from this call on, buffered until subscribed; the stream completes after
   * a terminal status. Refused (429) when {@code key} already follows as many runs as it may.
   */
  public Multi<JobEvent> follow(Run run, String key) {
    AtomicInteger open = streams.computeIfAbsent(key, k -> new AtomicInteger());
    int limit = config.runs().streamsPerKey();
    if (open.incrementAndGet() > limit) {
      open.decrementAndGet();
      throw ProblemException.tooMany(
          key + " already follows " + limit + " runs (bd3.gateway.runs.streams-per-key)",
          Duration.ofSeconds(10));
    }
    return events(run).onTermination().invoke(open::decrementAndGet);
  }

  /**
   * The events of a run this gateway made to answer a request (a completion), from this call on, as
   * {@link #follow} gives them; not counted against a key's streams (the request's own run).
   */
  public Multi<JobEvent> served(Run run) {
    return events(run);
  }

  private Multi<JobEvent> events(Run run) {
    Stream stream = new Stream(run, config.runs().streamBuffer());
    String id = run.id.toString();
    Cancellable upstream =
        processor.select().where(e -> e.runId().equals(id)).subscribe().with(stream::offer);
    return Multi.createFrom()
        .<JobEvent>emitter(stream::attach)
        .onTermination()
        .invoke(upstream::cancel);
  }

  static boolean isTerminal(JobEvent event) {
    return event.payload() instanceof JobEvent.Status s
        && s.status() != null
        && s.status().isTerminal();
  }

  /** Events a slow client may miss: later ones say the same, or the history has them. */
  static boolean droppable(JobEvent event) {
    return event.payload() instanceof JobEvent.Progress
        || event.payload() instanceof JobEvent.Heartbeat
        || event.payload() instanceof JobEvent.Metric;
  }

  /** One subscriber's events: filtered by holder, buffered up to a bound, sent as requested. */
  static final class Stream {
    private final Deque<JobEvent> buffer = new ArrayDeque<>();
    private final int capacity;
    private int attempt; // the holder as this stream knows it
    private String holder;
    private boolean ended;
    private boolean overflowed;
    private MultiEmitter<? super JobEvent> emitter;
    private final AtomicInteger drains = new AtomicInteger(); // calls to drain() not yet served

    Stream(Run run, int capacity) {
      this.capacity = capacity;
      this.attempt = run.attempt;
      this.holder = run.holder;
    }

    void attach(MultiEmitter<? super JobEvent> e) {
      synchronized (this) {
        emitter = e;
      }
      e.onRequest(n -> drain());
      drain();
    }

    void offer(JobEvent event) {
      synchronized (this) {
        if (ended || overflowed || !fromHolder(event)) {
          return;
        }
        ended = isTerminal(event);
        buffer.addLast(event);
        if (buffer.size() > capacity && !dropOldestDroppable()) {
          overflowed = true; // not even the final status could wait: let the client go
        }
      }
      drain();
    }

    /**
     * Whether the event is the holder's as far as this stream can tell: events of an earlier
     * attempt, and a second record's at the same attempt, are not. A later attempt's event takes
     * the hold (the stream may have joined after its start).
     */
    private boolean fromHolder(JobEvent event) {
      JobEvent.Holder h = event.holder();
      if (h == null) {
        return true; // the gateway's own
      }
      if (event.attempt() > attempt || holder == null && event.attempt() == attempt) {
        attempt = event.attempt();
        holder = h.record();
        return true;
      }
      return event.attempt() == attempt && h.record().equals(holder);
    }

    private boolean dropOldestDroppable() {
      for (Iterator<JobEvent> it = buffer.iterator(); it.hasNext(); ) {
        if (droppable(it.next())) {
          it.remove();
          return true;
        }
      }
      return false;
    }

    /**
     * Sends what the client has asked for. Two threads call it, the broker's (an event came) and
     * the HTTP one (the client asked for more), so one of them drains at a time and a call that
     * finds it busy only makes it go round again. Nothing is emitted under the lock: neither thread
     * waits for the other's write.
     */
    private void drain() {
      if (drains.getAndIncrement() != 0) {
        return;
      }
      int missed = 1;
      do {
        for (JobEvent next = take(); next != null; next = take()) {
          emitter.emit(next);
          if (isTerminal(next)) {
            emitter.complete();
            return; // the count stays up: nothing drains after the end
          }
        }
        missed = drains.addAndGet(-missed);
      } while (missed != 0);
    }

    /** The next event the client may have now, or null; lets a client too slow go. */
    private synchronized JobEvent take() {
      if (emitter == null || emitter.isCancelled()) {
        return null;
      }
      if (overflowed) {
        if (!buffer.isEmpty()) {
          buffer.clear();
          emitter.fail(
              new IllegalStateException("the client read too slowly; follow the run again"));
        }
        return null;
      }
      return emitter.requested() > 0 ? buffer.pollFirst() : null;
    }
  }
}
