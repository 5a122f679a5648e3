package dev.bd3.gateway;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Publishes the outbox to Kafka: every second, and right after a transaction that wrote to it
 * commits. A row is marked sent only once the broker has acknowledged it, so a broker that is down
 * leaves the rows (and their runs, QUEUED) waiting, never lost. Delivery is at least once: a crash
 * between the ack and the update, or two gateways relaying side by side, can publish a message
 * twice, and consumers key on the run id.
 */
@ApplicationScoped
public class OutboxRelay {
  private static final Logger LOG = Logger.getLogger(OutboxRelay.class);

  /** Fired by a transaction that wrote to the outbox; observed once it has committed. */
  public record Written() {}

  /** What one round did: messages sent, whether a full batch went (more may wait), a failure. */
  private record Round(int sent, boolean full, boolean failed) {}

  @Inject
  @Channel("outbox")
  MutinyEmitter<String> emitter;

  @Inject GatewayConfig config;

  private final ReentrantLock lock = new ReentrantLock();
  private final AtomicBoolean pending = new AtomicBoolean();
  private final ExecutorService afterCommit =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "outbox-relay");
            t.setDaemon(true);
            return t;
          });

  @Scheduled(
      every = "${bd3.gateway.outbox.interval:1s}",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
      skipExecutionIf = Scheduled.ApplicationNotRunning.class)
  void tick() {
    relay();
  }

  void onCommit(@Observes(during = TransactionPhase.AFTER_SUCCESS) Written written) {
    try {
      afterCommit.execute(this::relay);
    } catch (RejectedExecutionException e) {
      // shutting down: the next start relays what is left
    }
  }

  @PreDestroy
  void stop() {
    afterCommit.shutdownNow();
  }

  /**
   * Publishes unsent messages until none is left or the broker fails to take one. One relay runs at
   * a time; a call while it runs makes it go round once more.
   */
  public void relay() {
    pending.set(true);
    while (pending.get() && lock.tryLock()) {
      try {
        drain();
      } finally {
        lock.unlock();
      }
    }
  }

  private void drain() {
    while (pending.getAndSet(false)) {
      Round round;
      do {
        try {
          round = publishBatch();
        } catch (RuntimeException e) {
          LOG.warnf("outbox relay failed, retrying on the next tick: %s", rootMessage(e));
          return;
        }
        if (round.failed()) {
          return;
        }
      } while (round.full());
    }
  }

  /** A row as read, for sending outside the transaction that read it. */
  private record Pending(long id, String topic, String key, String payload) {}

  /**
   * Sends the oldest unsent rows, waits for the acks in order and marks the acknowledged ones sent.
   * No transaction stays open while the broker is waited for.
   */
  private Round publishBatch() {
    int size = config.outbox().batchSize();
    List<Pending> batch =
        QuarkusTransaction.requiringNew()
            .call(
                () ->
                    OutboxMessage.unsent(size).stream()
                        .map(m -> new Pending(m.id, m.topic, m.messageKey, m.payload))
                        .toList());
    if (batch.isEmpty()) {
      return new Round(0, false, false);
    }
    List<CompletableFuture<Void>> acks = new ArrayList<>(batch.size());
    for (Pending m : batch) {
      OutgoingKafkaRecordMetadata<String> metadata =
          OutgoingKafkaRecordMetadata.<String>builder()
              .withTopic(m.topic())
              .withKey(m.key())
              .build();
      acks.add(
          emitter
              .sendMessage(Message.of(m.payload()).addMetadata(metadata))
              .subscribeAsCompletionStage());
    }
    long timeoutMs = config.outbox().ackTimeout().toMillis();
    List<Long> sent = new ArrayList<>(batch.size());
    boolean failed = false;
    for (int i = 0; i < batch.size() && !failed; i++) {
      try {
        acks.get(i).get(timeoutMs, TimeUnit.MILLISECONDS);
        sent.add(batch.get(i).id());
      } catch (Exception e) {
        failed = true;
        LOG.warnf(
            "outbox message %d to %s not acknowledged (%s); %d left for the next try",
            batch.get(i).id(), batch.get(i).topic(), rootMessage(e), batch.size() - i);
      }
    }
    if (!sent.isEmpty()) {
      Instant now = Instant.now();
      QuarkusTransaction.requiringNew().run(() -> OutboxMessage.markSent(sent, now));
      LOG.debugf("outbox: %d message(s) published", sent.size());
    }
    return new Round(sent.size(), !failed && batch.size() == size, failed);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
