package dev.bd3.gateway.queue;

import dev.bd3.gateway.GatewayConfig;
import dev.bd3.gateway.runs.Run;
import dev.bd3.gateway.runs.RunFinisher;
import dev.bd3.jobs.RunStatus;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.OutgoingMessageMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Publishes the outbox to Kafka: right after a transaction that wrote to it commits, and every
 * second as the fallback. A row is marked sent only once the broker has acknowledged it, so a
 * broker that is down leaves the rows (and their runs, QUEUED) waiting, never lost. Each row
 * succeeds or fails on its own: one the broker can never take (too large, a topic that is not the
 * suite's) is parked with the reason, and the run whose job it carried fails with it; the rows
 * after it go on. Several gateways relay side by side: each claims its rows for a while. Delivery
 * is at least once (a crash between the ack and the update publishes a row again), and consumers
 * key on the run id.
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
  @Inject RunFinisher finisher;

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

  /**
   * Claims the oldest pending rows, sends them, waits for each ack and settles each row: sent,
   * parked, or given back for the next round. No transaction stays open while the broker is waited
   * for.
   */
  private Round publishBatch() {
    int size = config.outbox().batchSize();
    List<OutboxMessage.Claimed> batch =
        QuarkusTransaction.requiringNew()
            .call(() -> OutboxMessage.claim(size, config.outbox().claim()));
    if (batch.isEmpty()) {
      return new Round(0, false, false);
    }
    Set<String> suiteTopics = config.topics().all();
    List<CompletableFuture<Void>> acks = new ArrayList<>(batch.size());
    List<OutgoingMessageMetadata<RecordMetadata>> placed = new ArrayList<>(batch.size());
    for (OutboxMessage.Claimed m : batch) {
      OutgoingMessageMetadata<RecordMetadata> where = new OutgoingMessageMetadata<>();
      placed.add(where);
      if (!suiteTopics.contains(m.topic())) {
        acks.add(
            CompletableFuture.failedFuture(
                new InvalidTopicException("not a topic of this suite: " + m.topic())));
        continue;
      }
      OutgoingKafkaRecordMetadata<String> metadata =
          OutgoingKafkaRecordMetadata.<String>builder()
              .withTopic(m.topic())
              .withKey(m.key())
              .build();
      acks.add(
          emitter
              .sendMessage(Message.of(m.payload()).addMetadata(metadata).addMetadata(where))
              .subscribeAsCompletionStage());
    }
    long timeoutMs = config.outbox().ackTimeout().toMillis();
    List<OutboxMessage.Sent> sent = new ArrayList<>(batch.size());
    List<Long> retry = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      OutboxMessage.Claimed m = batch.get(i);
      try {
        acks.get(i).get(timeoutMs, TimeUnit.MILLISECONDS);
        RecordMetadata record = placed.get(i).getResult();
        sent.add(
            new OutboxMessage.Sent(
                m.id(),
                record == null ? -1 : record.partition(),
                record == null ? -1 : record.offset()));
      } catch (ExecutionException e) {
        if (permanent(e.getCause())) {
          park(m, rootMessage(e));
        } else {
          retry.add(m.id());
          LOG.warnf("outbox message %d to %s not taken (%s)", m.id(), m.topic(), rootMessage(e));
        }
      } catch (Exception e) {
        retry.add(m.id());
        LOG.warnf(
            "outbox message %d to %s not acknowledged (%s)", m.id(), m.topic(), rootMessage(e));
      }
    }
    Instant now = Instant.now();
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              if (!sent.isEmpty()) {
                OutboxMessage.markSent(sent, now);
              }
              if (!retry.isEmpty()) {
                OutboxMessage.unclaim(retry);
              }
            });
    return new Round(sent.size(), retry.isEmpty() && batch.size() == size, !retry.isEmpty());
  }

  /** Errors no retry can mend: the record is too large, or no such topic will ever exist. */
  private static boolean permanent(Throwable e) {
    return e instanceof RecordTooLargeException
        || e instanceof InvalidTopicException
        || e instanceof SerializationException
        || e instanceof AuthorizationException;
  }

  /** Sets a row aside for good; the run whose job it carried fails with the reason. */
  private void park(OutboxMessage.Claimed m, String reason) {
    LOG.errorf("outbox message %d to %s parked: %s", m.id(), m.topic(), reason);
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              OutboxMessage.park(m.id(), reason, Instant.now());
              boolean job = config.topics().jobType(m.topic()).isPresent();
              Run.parseId(m.key())
                  .filter(id -> job)
                  .map(id -> Run.<Run>findById(id, LockModeType.PESSIMISTIC_WRITE))
                  .filter(run -> !run.isTerminal())
                  .ifPresent(
                      run ->
                          finisher.end(
                              run, RunStatus.FAILED, "the job could not be published: " + reason));
            });
  }

  /** Deletes what was sent (or parked) longer ago than the retention. */
  @Scheduled(every = "1h", delayed = "1m", skipExecutionIf = Scheduled.ApplicationNotRunning.class)
  void prune() {
    Instant before = Instant.now().minus(config.outbox().retention());
    long pruned = QuarkusTransaction.requiringNew().call(() -> OutboxMessage.prune(before));
    if (pruned > 0) {
      LOG.infof("outbox: %d row(s) older than %s deleted", pruned, config.outbox().retention());
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
