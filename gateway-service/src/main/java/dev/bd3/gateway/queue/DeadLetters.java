package dev.bd3.gateway.queue;

import dev.bd3.gateway.GatewayConfig;
import dev.bd3.gateway.problems.ProblemException;
import dev.bd3.gateway.runs.Run;
import dev.bd3.jobs.RunStatus;
import dev.bd3.jobs.Topics;
import dev.bd3.kafka.KafkaClients;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * The dead-letter topic, read and replayed: what workers parked (jobs that could not be read or
 * run) and what the gateway parked (events it could not read). A replay publishes the message again
 * to the topic it came from, through the outbox; a replayed job's run goes back to QUEUED.
 */
@ApplicationScoped
public class DeadLetters {
  private static final Logger LOG = Logger.getLogger(DeadLetters.class);
  private static final Duration POLL = Duration.ofMillis(500);

  @Inject GatewayConfig config;
  @Inject jakarta.enterprise.event.Event<OutboxRelay.Written> outboxWritten;
  @Inject JobDispatcher dispatcher;

  /** The broker's settings (address, SASL/TLS) that every client shares. */
  @Inject
  @Identifier("default-kafka-broker")
  Map<String, Object> broker;

  /** One parked message: where it is, where it came from, why, and its content. */
  public record DeadLetter(
      int partition,
      long offset,
      Instant time,
      String key,
      String topic,
      String reason,
      String payload) {}

  /** The newest parked messages, newest first, at most {@code limit}. */
  public List<DeadLetter> newest(int limit) {
    try (KafkaConsumer<String, String> consumer = consumer()) {
      List<TopicPartition> partitions = partitions(consumer);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions);
      consumer.assign(partitions);
      for (TopicPartition p : partitions) {
        consumer.seek(p, Math.max(begin.get(p), end.get(p) - limit));
      }
      List<DeadLetter> found = new ArrayList<>();
      Instant deadline = Instant.now().plusSeconds(10);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))
          && Instant.now().isBefore(deadline)) {
        consumer.poll(POLL).forEach(r -> found.add(of(r)));
      }
      found.sort((a, b) -> b.time().compareTo(a.time()));
      return found.subList(0, Math.min(limit, found.size()));
    }
  }

  /** The message at a place in the topic, if there is one. */
  public Optional<DeadLetter> at(int partition, long offset) {
    if (partition < 0 || offset < 0) {
      return Optional.empty(); // no such place (and a negative seek would throw)
    }
    try (KafkaConsumer<String, String> consumer = consumer()) {
      TopicPartition p = new TopicPartition(config.topics().deadLetter(), partition);
      if (partitions(consumer).stream().noneMatch(p::equals)) {
        return Optional.empty();
      }
      consumer.assign(List.of(p));
      consumer.seek(p, offset);
      Instant deadline = Instant.now().plusSeconds(10);
      while (Instant.now().isBefore(deadline) && consumer.position(p) <= offset) {
        for (ConsumerRecord<String, String> r : consumer.poll(POLL)) {
          if (r.offset() == offset) {
            return Optional.of(of(r));
          }
        }
        if (consumer.position(p) >= consumer.endOffsets(List.of(p)).get(p)) {
          break;
        }
      }
      return Optional.empty();
    }
  }

  /**
   * Publishes a parked message again to its topic. A job's run that failed goes back to QUEUED as a
   * new dispatch of its job, with its failures forgiven and a deadline as long as its first; a run
   * already queued or running again (an earlier replay) is left as it is, so replaying twice
   * publishes once. A run that succeeded or was cancelled is not revived.
   */
  @Transactional
  public DeadLetter replay(DeadLetter letter) {
    if (letter.topic() == null || letter.payload() == null) {
      throw ProblemException.conflict("this message names no topic to go back to");
    }
    if (config.topics().jobType(letter.topic()).isPresent()) {
      replayJob(letter);
    } else if (letter.topic().equals(config.topics().events())) {
      OutboxMessage.enqueue(letter.topic(), letter.key(), letter.payload());
      outboxWritten.fire(new OutboxRelay.Written());
    } else {
      throw ProblemException.conflict(letter.topic() + " is not a topic of this suite");
    }
    LOG.infof(
        "dead letter %d/%d replayed to %s", letter.partition(), letter.offset(), letter.topic());
    return letter;
  }

  private void replayJob(DeadLetter letter) {
    Run run =
        Run.parseId(letter.key())
            .map(id -> Run.<Run>findById(id, LockModeType.PESSIMISTIC_WRITE))
            .orElseThrow(() -> ProblemException.conflict("no run " + letter.key() + " to replay"));
    switch (run.status) {
      case QUEUED, RUNNING -> {
        LOG.infof("run %s is %s already; the replay changes nothing", run.id, run.status);
        return;
      }
      case SUCCEEDED, CANCELLED ->
          throw ProblemException.conflict(
              "run "
                  + run.id
                  + " has "
                  + run.status.name().toLowerCase(java.util.Locale.ROOT)
                  + "; submit a new job");
      default -> {}
    }
    if (run.deadline != null) {
      run.deadline = Run.now().plus(Duration.between(run.createdAt, run.deadline));
    }
    run.status = RunStatus.QUEUED;
    run.error = "replayed from the dead letters: " + letter.reason();
    run.finishedAt = null;
    run.updatedAt = Run.now();
    dispatcher.publish(run, 0);
  }

  private List<TopicPartition> partitions(KafkaConsumer<String, String> consumer) {
    return consumer.partitionsFor(config.topics().deadLetter(), Duration.ofSeconds(10)).stream()
        .map(p -> new TopicPartition(p.topic(), p.partition()))
        .toList();
  }

  private static DeadLetter of(ConsumerRecord<String, String> r) {
    String payload = r.value() != null ? r.value() : header(r, "deserialization-failure-data");
    return new DeadLetter(
        r.partition(),
        r.offset(),
        Instant.ofEpochMilli(r.timestamp()),
        r.key(),
        header(r, Topics.DEAD_LETTER_TOPIC),
        header(r, Topics.DEAD_LETTER_REASON),
        payload);
  }

  private static String header(ConsumerRecord<String, String> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private KafkaConsumer<String, String> consumer() {
    return new KafkaConsumer<>(
        KafkaClients.config(
            broker, Map.of("enable.auto.commit", "false", "client.id", "bd3-gateway-dead-letters")),
        new StringDeserializer(),
        new StringDeserializer());
  }
}
