package dev.bd3.gateway.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.gateway.runs.Run;
import dev.bd3.jobs.JobEvent;
import dev.bd3.jobs.RunStatus;
import io.smallrye.mutiny.subscription.MultiEmitter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.Test;

/**
 * A live stream's bounds: its run's holder's events only, and a buffer a slow client cannot grow.
 */
class LiveStreamTest {
  private static final JobEvent.Holder HOLDER = new JobEvent.Holder("d", "0@1");
  private static final JobEvent.Holder COPY = new JobEvent.Holder("d", "1@2");

  /**
   * A subscriber that has asked for {@code requested} events; safe to call from two threads, and as
   * strict as Mutiny's emitter about what it is given.
   */
  private static final class Client implements MultiEmitter<JobEvent> {
    final List<JobEvent> got = Collections.synchronizedList(new ArrayList<>());
    final AtomicLong requested = new AtomicLong();
    volatile boolean completed;
    volatile Throwable failure;
    volatile LongConsumer onRequest = n -> {};

    void request(long n) {
      requested.addAndGet(n);
      onRequest.accept(n);
    }

    @Override
    public MultiEmitter<JobEvent> emit(JobEvent item) {
      Objects.requireNonNull(item, "emit called with null");
      if (requested.getAndDecrement() <= 0) {
        throw new IllegalStateException("emitted unasked: " + item);
      }
      got.add(item);
      return this;
    }

    @Override
    public void fail(Throwable f) {
      failure = f;
    }

    @Override
    public void complete() {
      completed = true;
    }

    @Override
    public MultiEmitter<JobEvent> onTermination(Runnable r) {
      return this;
    }

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public long requested() {
      return requested.get();
    }

    @Override
    public MultiEmitter<JobEvent> onRequest(LongConsumer consumer) {
      onRequest = consumer;
      return this;
    }
  }

  private static RunEvents.Stream stream(int capacity, Client client) {
    Run run = new Run();
    run.id = UUID.randomUUID();
    run.attempt = 1;
    run.holder = HOLDER.record();
    RunEvents.Stream stream = new RunEvents.Stream(run, capacity);
    stream.attach(client);
    return stream;
  }

  private static JobEvent event(int attempt, JobEvent.Holder h, JobEvent.Payload payload) {
    return new JobEvent("r", attempt, h, "w", "v", Instant.now(), payload);
  }

  private static JobEvent progress(long step) {
    return event(1, HOLDER, new JobEvent.Progress(step, 100, null));
  }

  @Test
  void onlyTheHoldersEventsPassAndALaterAttemptTakesOver() {
    Client client = new Client();
    RunEvents.Stream stream = stream(10, client);
    client.request(100);
    stream.offer(event(1, COPY, new JobEvent.Metric("copy", 1, 1)));
    stream.offer(event(1, HOLDER, new JobEvent.Metric("held", 1, 1)));
    stream.offer(event(2, COPY, new JobEvent.Status(RunStatus.RUNNING, null)));
    stream.offer(event(1, HOLDER, new JobEvent.Metric("stale", 2, 1)));
    stream.offer(event(2, COPY, new JobEvent.Status(RunStatus.SUCCEEDED, null)));
    stream.offer(event(2, COPY, new JobEvent.Metric("after the end", 3, 1)));
    assertEquals(3, client.got.size(), client.got.toString());
    assertEquals(new JobEvent.Metric("held", 1, 1), client.got.get(0).payload());
    assertTrue(client.completed, "the stream ends with the run");
  }

  @Test
  void aSlowClientLosesTheOldestProgressButNeverTheFinalStatus() {
    Client client = new Client();
    RunEvents.Stream stream = stream(3, client);
    for (long step = 1; step <= 10; step++) {
      stream.offer(progress(step));
    }
    stream.offer(event(1, HOLDER, new JobEvent.Block(0, 0, "text")));
    stream.offer(event(1, HOLDER, new JobEvent.Status(RunStatus.SUCCEEDED, null)));
    client.request(10);
    assertEquals(3, client.got.size(), client.got.toString());
    assertEquals(new JobEvent.Progress(10, 100, null), client.got.get(0).payload());
    assertEquals(new JobEvent.Block(0, 0, "text"), client.got.get(1).payload());
    assertEquals(new JobEvent.Status(RunStatus.SUCCEEDED, null), client.got.get(2).payload());
    assertTrue(client.completed);
  }

  @Test
  void aClientTooSlowForWhatCannotBeDroppedIsLetGo() {
    Client client = new Client();
    RunEvents.Stream stream = stream(2, client);
    for (int block = 0; block < 3; block++) {
      stream.offer(event(1, HOLDER, new JobEvent.Block(0, block, "b")));
    }
    assertNotNull(client.failure, "told to follow again");
    assertTrue(client.got.isEmpty());
  }

  /**
   * Events come on the broker's thread while the client asks for one more on the HTTP thread after
   * each it gets, as the SSE writer does: every event arrives once and in order, and the stream
   * ends. (Two threads draining one buffer once sent a null and broke the stream.)
   */
  @Test
  void eventsAndRequestsOnTwoThreadsArriveOnceInOrder() throws Exception {
    int events = 300;
    for (int round = 0; round < 200; round++) {
      Client client = new Client();
      RunEvents.Stream stream = stream(10 * events, client);
      AtomicReference<Throwable> brokerFailure = new AtomicReference<>();
      Thread broker =
          new Thread(
              () -> {
                try {
                  for (long step = 1; step <= events; step++) {
                    stream.offer(progress(step));
                  }
                  stream.offer(event(1, HOLDER, new JobEvent.Status(RunStatus.SUCCEEDED, null)));
                } catch (Throwable t) {
                  brokerFailure.set(t);
                }
              });
      broker.start();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!client.completed && brokerFailure.get() == null) {
        assertTrue(System.nanoTime() < deadline, "stuck after " + client.got.size() + " events");
        if (client.requested() == 0) {
          client.request(1);
        }
      }
      broker.join();
      assertNull(brokerFailure.get(), "round " + round);
      assertEquals(events + 1, client.got.size(), "round " + round);
      for (int i = 0; i < events; i++) {
        assertEquals(new JobEvent.Progress(i + 1, 100, null), client.got.get(i).payload());
      }
      assertEquals(
          RunStatus.SUCCEEDED, ((JobEvent.Status) client.got.get(events).payload()).status());
      assertNull(client.failure, "not let go");
    }
  }
}
