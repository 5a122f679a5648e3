package dev.bd3.gateway;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.bd3.jobs.JobEvent;
import dev.bd3.jobs.Json;
import dev.bd3.jobs.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.ConfigProvider;

/** Plain Kafka clients for the tests: read a topic from a mark on, and play a worker. */
final class TestKafka {
  /** The tests' own topics (profile %test sets the prefix). */
  static final Topics TOPICS =
      new Topics(ConfigProvider.getConfig().getValue("bd3.gateway.topic-prefix", String.class));

  /** The code version the tests' events report. */
  static final String VERSION = "0.0.0-test";

  private TestKafka() {}

  static String bootstrap() {
    return ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
  }

  /**
   * Waits until the gateway's job-events consumer holds every partition. After a broker restart the
   * group still lists the members from before, and the first rebalance waits out their session (up
   * to 45 s): an event sent meanwhile is applied only then.
   */
  static void awaitEventConsumerAssigned() {
    String group =
        ConfigProvider.getConfig()
            .getValue("mp.messaging.incoming.job-events.group.id", String.class);
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    try (Admin admin = Admin.create(p)) {
      int partitions =
          admin
              .describeTopics(List.of(TOPICS.events()))
              .allTopicNames()
              .get()
              .get(TOPICS.events())
              .partitions()
              .size();
      Awaitility.await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> assignedPartitions(admin, group) == partitions);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Waits until the gateway's job-events consumer has committed everything sent to the topic so
   * far: the events were all handled, those that changed nothing too.
   */
  static void awaitEventsConsumed() {
    String group =
        ConfigProvider.getConfig()
            .getValue("mp.messaging.incoming.job-events.group.id", String.class);
    Map<TopicPartition, Long> end = mark(TOPICS.events());
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    try (Admin admin = Admin.create(p)) {
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(250))
          .until(
              () -> {
                Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> done =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
                return end.entrySet().stream()
                    .allMatch(
                        e ->
                            e.getValue() == 0
                                || (done.get(e.getKey()) != null
                                    && done.get(e.getKey()).offset() >= e.getValue()));
              });
    }
  }

  /** Deletes every record before {@code mark}, as retention would: the log starts there. */
  static void deleteRecordsBefore(Map<TopicPartition, Long> mark) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    Map<TopicPartition, org.apache.kafka.clients.admin.RecordsToDelete> before = new HashMap<>();
    mark.forEach(
        (partition, offset) ->
            before.put(
                partition, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(offset)));
    try (Admin admin = Admin.create(p)) {
      admin.deleteRecords(before).all().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int assignedPartitions(Admin admin, String group) throws Exception {
    ConsumerGroupDescription d =
        admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
    return d.groupState() != GroupState.STABLE
        ? 0
        : d.members().stream().mapToInt(m -> m.assignment().topicPartitions().size()).sum();
  }

  /** Where each partition of {@code topic} ends now: read from here to see only what comes next. */
  static Map<TopicPartition, Long> mark(String topic) {
    try (KafkaConsumer<String, String> consumer = consumer()) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      return consumer.endOffsets(partitions, Duration.ofSeconds(10));
    }
  }

  /** The first record after {@code mark} that matches, waiting up to {@code timeout}. */
  static ConsumerRecord<String, String> await(
      Map<TopicPartition, Long> mark,
      Predicate<ConsumerRecord<String, String>> match,
      Duration timeout) {
    List<ConsumerRecord<String, String>> seen = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = consumer()) {
      consumer.assign(mark.keySet());
      mark.forEach(consumer::seek);
      Instant deadline = Instant.now().plus(timeout);
      while (Instant.now().isBefore(deadline)) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          if (match.test(r)) {
            return r;
          }
          seen.add(r);
        }
      }
    }
    return fail(
        "no matching record within "
            + timeout
            + "; saw: "
            + seen.stream().map(r -> r.key() + "=" + r.value()).collect(Collectors.joining("; ")));
  }

  static ConsumerRecord<String, String> awaitKey(Map<TopicPartition, Long> mark, String key) {
    return await(mark, r -> key.equals(r.key()), Duration.ofSeconds(20));
  }

  /** Publishes raw values to {@code bd3.job-events}, keyed like a worker does. */
  static void sendRaw(String key, String... values) {
    try (KafkaProducer<String, String> producer = producer()) {
      for (String value : values) {
        producer.send(new ProducerRecord<>(TOPICS.events(), key, value));
      }
      producer.flush();
    }
  }

  /** Parks a message in the dead-letter topic as a worker does: from a topic, with a reason. */
  static void sendDeadLetter(String key, String value, String fromTopic, String reason) {
    try (KafkaProducer<String, String> producer = producer()) {
      ProducerRecord<String, String> r = new ProducerRecord<>(TOPICS.deadLetter(), key, value);
      r.headers().add("dead-letter-topic", fromTopic.getBytes(StandardCharsets.UTF_8));
      r.headers().add("dead-letter-reason", reason.getBytes(StandardCharsets.UTF_8));
      producer.send(r);
      producer.flush();
    }
  }

  /** Publishes events as a worker of the given run would (key = run id), in order. */
  static void send(List<JobEvent> events) {
    try (KafkaProducer<String, String> producer = producer()) {
      for (JobEvent e : events) {
        producer.send(new ProducerRecord<>(TOPICS.events(), e.runId(), json(e)));
      }
      producer.flush();
    }
  }

  /** An event of the first attempt. */
  static JobEvent event(String runId, String worker, Instant time, JobEvent.Payload payload) {
    return event(runId, 1, worker, time, payload);
  }

  static JobEvent event(
      String runId, int attempt, String worker, Instant time, JobEvent.Payload payload) {
    return new JobEvent(runId, attempt, null, worker, VERSION, time, payload);
  }

  /** An event of a worker that holds ({@code attempt}, {@code holder}) of the run. */
  static JobEvent event(
      String runId, int attempt, JobEvent.Holder holder, String worker, JobEvent.Payload payload) {
    return new JobEvent(runId, attempt, holder, worker, VERSION, Instant.now(), payload);
  }

  static String json(Object value) {
    try {
      return Json.mapper().writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static KafkaConsumer<String, String> consumer() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "gateway-test-" + UUID.randomUUID());
    return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
  }

  private static KafkaProducer<String, String> producer() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }
}
