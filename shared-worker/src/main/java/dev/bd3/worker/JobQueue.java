package dev.bd3.worker;

import static java.util.concurrent.TimeUnit.MILLISECONDS;

import dev.bd3.jobs.JobEvent;
import dev.bd3.jobs.Topics;
import dev.bd3.kafka.KafkaClients;
import dev.bd3.kafka.KafkaTopology;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Takes this worker's jobs from its type's queue, a Kafka share group (KIP-932), one at a time in
 * each of its slots ({@code bd3.worker.slots}, one consumer each). Any idle slot of the type takes
 * the next job; each delivery is acknowledged on its own: RENEW while the job runs (every third of
 * the lock, so a job of hours keeps it), then ACCEPT, REJECT or RELEASE as {@link JobAttempt}
 * decides. A worker that dies loses its lock and the job goes to another worker, which resumes from
 * the newest checkpoint. A renewal the broker refuses means the job went to another worker, and
 * this one stops it; so does an error of the consumer itself, before the consumer is closed (its
 * record then goes to another worker). A stopping worker hands its job back through the gateway
 * instead of releasing it: a release would use up a delivery.
 *
 * <p>The consumer is not thread-safe: this class's thread polls and acknowledges, the job runs on a
 * thread of its own. Every call to the broker here is bounded well below the lock, so that a slow
 * broker cannot make this worker miss a renewal. SmallRye's share-group channel needs a newer
 * Quarkus than this project's, and a job's acknowledgement must follow the job's own life, so the
 * client is used directly.
 */
@ApplicationScoped
public class JobQueue {
  private static final Logger LOG = Logger.getLogger(JobQueue.class);
  private static final Duration POLL = Duration.ofSeconds(1);
  private static final Duration DEFAULT_LOCK = Duration.ofSeconds(30);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private final JobHandler handler;
  private final JobEvents events;
  private final Cancellations cancellations;
  private final Holdings holdings;
  private final WorkerConfig config;
  private final ArtifactStore artifacts;
  private final Emitter<String> deadLetters;

  /** The broker's settings (address, SASL/TLS) that every client shares. */
  private final Map<String, Object> broker;

  private final Topics topics;
  private final ExecutorService jobs;

  private volatile boolean stopping;
  private final AtomicInteger polling = new AtomicInteger(); // slots subscribed and polling
  private final List<Thread> pollers = new ArrayList<>();
  private Admin admin; // creates the job topic if the gateway has not yet

  @Inject
  public JobQueue(
      JobHandler handler,
      JobEvents events,
      Cancellations cancellations,
      Holdings holdings,
      WorkerConfig config,
      ArtifactStore artifacts,
      @Channel("dead-letters") Emitter<String> deadLetters,
      @Identifier("default-kafka-broker") Map<String, Object> broker,
      @ConfigProperty(name = "bd3.topic-prefix") String topicPrefix) {
    this.handler = handler;
    this.events = events;
    this.cancellations = cancellations;
    this.holdings = holdings;
    this.config = config;
    this.artifacts = artifacts;
    this.deadLetters = deadLetters;
    this.broker = broker;
    this.topics = new Topics(topicPrefix);
    AtomicInteger threads = new AtomicInteger();
    this.jobs =
        Executors.newFixedThreadPool(
            config.slots(), r -> new Thread(r, "bd3-job-" + threads.getAndIncrement()));
    OfflineEngine.configure(config.djlCacheDir());
  }

  void start(@Observes StartupEvent started) {
    admin = Admin.create(KafkaClients.config(broker, Map.of()));
    for (int slot = 0; slot < config.slots(); slot++) {
      int s = slot;
      Thread poller = new Thread(() -> loop(s), "bd3-queue-" + slot);
      pollers.add(poller);
      poller.start();
    }
  }

  /** Whether every slot has subscribed and polls for jobs (the worker's readiness). */
  boolean polling() {
    return polling.get() == config.slots();
  }

  /** Asks a running job to stop at its next step and hands it back before exiting. */
  void stop(@Observes ShutdownEvent shutdown) throws InterruptedException {
    stopping = true;
    long until = System.nanoTime() + config.shutdownGrace().plusSeconds(5).toNanos();
    for (Thread poller : pollers) {
      poller.join(Math.max(1, (until - System.nanoTime()) / 1_000_000));
    }
    jobs.shutdownNow();
    if (admin != null) {
      admin.close();
    }
  }

  private void loop(int slot) {
    while (!stopping) {
      KafkaShareConsumer<String, String> consumer = null;
      boolean counted = false;
      try {
        consumer = consumer(slot);
        KafkaTopology.ensureJobTopic(admin, topics, handler.type()); // whoever starts first
        consumer.subscribe(List.of(topics.jobs(handler.type())));
        LOG.infof(
            "taking %s jobs from %s as a member of share group %s",
            handler.type().json(), topics.jobs(handler.type()), topics.workers(handler.type()));
        polling.incrementAndGet();
        counted = true;
        serve(consumer);
      } catch (RuntimeException e) {
        if (!stopping) {
          LOG.errorf(e, "job queue consumer failed; reconnecting in 5 s");
          sleep(Duration.ofSeconds(5));
        }
      } finally {
        if (counted) {
          polling.decrementAndGet();
        }
        if (consumer != null) {
          consumer.close(CLOSE_TIMEOUT); // bounded, as every call to the broker here
        }
      }
    }
  }

  /**
   * Polls for one job at a time; while one runs, renews its lock and watches for its end. Every
   * acknowledgement follows a poll (the consumer wants it so): a renewed delivery comes back from
   * the next poll and is acknowledged anew.
   */
  private void serve(KafkaShareConsumer<String, String> consumer) {
    Serving serving = new Serving();
    try {
      serve(consumer, serving);
    } catch (RuntimeException e) {
      Running running = serving.running;
      if (running != null) {
        // the consumer closes next and the record goes to another worker: this job must stop first
        LOG.warnf("run %s: the job queue failed; stopping the job", running.record.key());
        running.attempt.lease().lose();
        running.outcome.completeOnTimeout(null, config.shutdownGrace().toMillis(), MILLISECONDS);
        running.outcome.join();
      }
      throw e;
    }
  }

  /** The delivery being worked on, if any (an error of the loop must stop its job). */
  private static final class Serving {
    Running running;
  }

  private void serve(KafkaShareConsumer<String, String> consumer, Serving serving) {
    Running running = null;
    Instant cutOff = null; // when a stopping worker gives up waiting for its job
    while (!stopping || running != null) {
      serving.running = running;
      for (ConsumerRecord<String, String> r : consumer.poll(POLL)) {
        if (running != null && running.sameDelivery(r)) {
          running.record = r;
        } else if (running != null || stopping) {
          consumer.acknowledge(r, AcknowledgeType.RELEASE); // one job at a time, none when stopping
        } else {
          running = start(r);
          serving.running = running;
        }
      }
      if (running == null) {
        continue;
      }
      Duration wait = lockDuration(consumer).dividedBy(3);
      if (stopping) {
        // the job stops at its next step (training saves a checkpoint) and goes back to the queue
        if (cutOff == null) {
          running.attempt.lease().stop();
          cutOff = Instant.now().plus(config.shutdownGrace());
        } else if (Instant.now().isAfter(cutOff)) {
          running.attempt.lease().lose(); // whatever it still does, it reports nothing more
          settle(
              consumer,
              running,
              running.attempt.handBack(
                  "worker stopped; the job was cut off", brokerTimeout(consumer)));
          running = null;
          continue;
        }
      }
      JobAttempt.Outcome outcome = running.await(wait);
      if (outcome != null) {
        settle(consumer, running, outcome);
        running = null;
      } else if (!renew(consumer, running)) {
        running.outcome.completeOnTimeout(null, config.shutdownGrace().toMillis(), MILLISECONDS);
        running.outcome.join(); // let the job unwind before taking another
        running = null;
      }
    }
  }

  private Running start(ConsumerRecord<String, String> record) {
    JobAttempt attempt =
        new JobAttempt(
            record.key(),
            record.value(),
            JobEvent.Holder.record(record.partition(), record.offset()),
            record.deliveryCount().map(Short::intValue).orElse(1),
            handler,
            events,
            cancellations,
            holdings,
            artifacts);
    return new Running(record, attempt, CompletableFuture.supplyAsync(attempt::run, jobs));
  }

  /** RENEW, and a heartbeat for the gateway; false when the broker refused: the lease is lost. */
  private boolean renew(KafkaShareConsumer<String, String> consumer, Running running) {
    try {
      consumer.acknowledge(running.record, AcknowledgeType.RENEW);
      Map<TopicIdPartition, Optional<KafkaException>> result =
          consumer.commitSync(brokerTimeout(consumer));
      Optional<KafkaException> refused =
          result.values().stream().flatMap(Optional::stream).findFirst();
      if (refused.isPresent()) {
        throw refused.get();
      }
    } catch (RuntimeException e) {
      LOG.warnf("run %s: renewal refused (%s)", running.record.key(), e.getMessage());
      running.attempt.lease().lose();
      return false;
    }
    running.attempt.lease().answer(true);
    running.attempt.heartbeat();
    return true;
  }

  private void settle(
      KafkaShareConsumer<String, String> consumer, Running running, JobAttempt.Outcome outcome) {
    if (outcome.acknowledge() == null) {
      return; // the lease was lost: the delivery is another worker's now
    }
    if (outcome.acknowledge() == AcknowledgeType.REJECT) {
      park(running.record, outcome.summary());
    }
    try {
      consumer.acknowledge(running.record, outcome.acknowledge());
      consumer.commitSync(brokerTimeout(consumer)).values().stream()
          .flatMap(Optional::stream)
          .findFirst()
          .ifPresent(
              e ->
                  LOG.warnf(
                      "run %s: %s not taken by the broker (%s)",
                      running.record.key(), outcome.acknowledge(), e.getMessage()));
    } catch (RuntimeException e) {
      LOG.warnf("run %s: %s failed (%s)", running.record.key(), outcome.acknowledge(), e);
    }
    LOG.infof("run %s: %s (%s)", running.record.key(), outcome.summary(), outcome.acknowledge());
  }

  /** A job that can never succeed goes to the dead-letter topic with its reason. */
  private void park(ConsumerRecord<String, String> record, String reason) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(Topics.DEAD_LETTER_REASON, reason.getBytes(StandardCharsets.UTF_8));
    headers.add(Topics.DEAD_LETTER_TOPIC, record.topic().getBytes(StandardCharsets.UTF_8));
    deadLetters.send(
        Message.of(record.value() == null ? "" : record.value())
            .addMetadata(
                OutgoingKafkaRecordMetadata.<String>builder()
                    .withKey(record.key())
                    .withHeaders(headers)
                    .build()));
  }

  private static Duration lockDuration(KafkaShareConsumer<String, String> consumer) {
    return consumer.acquisitionLockTimeoutMs().map(Duration::ofMillis).orElse(DEFAULT_LOCK);
  }

  /** The longest a blocking call to the broker may take: a quarter of the lock. */
  private static Duration brokerTimeout(KafkaShareConsumer<String, String> consumer) {
    return lockDuration(consumer).dividedBy(4);
  }

  private KafkaShareConsumer<String, String> consumer(int slot) {
    String client = events.worker() + "-" + handler.type().json();
    Map<String, Object> config =
        KafkaClients.config(
            broker,
            Map.of(
                "group.id", topics.workers(handler.type()),
                "client.id", this.config.slots() == 1 ? client : client + "-" + slot,
                "share.acknowledgement.mode", "explicit",
                "share.acquire.mode", "record_limit",
                "max.poll.records", "1"));
    return new KafkaShareConsumer<>(config, new StringDeserializer(), new StringDeserializer());
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The delivery being worked on: its record (renewed ones replace it) and its job thread. */
  private static final class Running {
    ConsumerRecord<String, String> record;
    final JobAttempt attempt;
    final CompletableFuture<JobAttempt.Outcome> outcome;

    Running(
        ConsumerRecord<String, String> record,
        JobAttempt attempt,
        CompletableFuture<JobAttempt.Outcome> f) {
      this.record = record;
      this.attempt = attempt;
      this.outcome = f;
    }

    boolean sameDelivery(ConsumerRecord<String, String> r) {
      return r.topic().equals(record.topic())
          && r.partition() == record.partition()
          && r.offset() == record.offset()
          && r.deliveryCount().equals(record.deliveryCount());
    }

    /**
     * The outcome once the job has ended, waiting up to {@code wait}, or until the job asks for its
     * hold to be confirmed; null while it runs.
     */
    JobAttempt.Outcome await(Duration wait) {
      try {
        CompletableFuture.anyOf(outcome, attempt.lease().asked())
            .get(wait.toMillis(), TimeUnit.MILLISECONDS);
        return outcome.isDone() ? outcome.get() : null;
      } catch (TimeoutException e) {
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      } catch (java.util.concurrent.ExecutionException e) {
        return new JobAttempt.Outcome(AcknowledgeType.RELEASE, "job thread failed: " + e);
      }
    }
  }
}
