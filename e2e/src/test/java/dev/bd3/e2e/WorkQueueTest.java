package dev.bd3.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bd3.cli.Bd3Client;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The job queues under faults, on the real suite (two trainers share the train queue): an idle
 * worker takes the next job whatever the other is doing; a worker killed, hung or crashing again
 * and again; the database and the broker away. Each test ends with the suite whole again.
 */
@ExtendWith(SharedSuite.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkQueueTest {
  private static Suite suite;
  private static Bd3Client api;

  @BeforeAll
  static void startSuite(Suite shared) {
    suite = shared;
    api = suite.client();
  }

  /** A tiny training job: a few seconds for a few hundred steps on two cores. */
  private static ObjectNode tiny(int steps, int checkpointEvery, long seed) {
    return Bd3Client.object()
        .put("preset", "micro")
        .put("steps", steps)
        .put("batchSize", 8)
        .put("checkpointEvery", checkpointEvery)
        .put("seed", seed);
  }

  /**
   * Two gateways on one database and one broker: a run submitted through one is followed live
   * through the other (each reads every event), and both relay jobs.
   */
  @Test
  @Order(0)
  void twoGatewaysServeTheSameRuns() throws Exception {
    Bd3Client second = suite.secondGateway();
    String id = id(api.submit("train", tiny(400, 200, 3))); // long enough to be followed
    List<String> streamed = new java.util.concurrent.CopyOnWriteArrayList<>();
    AtomicReference<RuntimeException> broken = new AtomicReference<>();
    Thread follower =
        new Thread(
            () -> {
              try {
                second.events(id, e -> streamed.add(e.name() + " " + e.data()));
              } catch (RuntimeException e) {
                broken.set(e);
              }
            });
    follower.start();
    follower.join(Duration.ofMinutes(3).toMillis());
    assertFalse(follower.isAlive(), "the stream on the second gateway ended with the run");
    assertNull(broken.get(), () -> "the stream broke off after " + streamed.size() + " events");
    assertTrue(
        streamed.stream().anyMatch(e -> e.startsWith("status") && e.contains("SUCCEEDED")),
        streamed.toString());
    assertTrue(streamed.stream().anyMatch(e -> e.startsWith("progress")), "live progress");
    String viaSecond = id(second.submit("train", tiny(10, 10, 4)));
    endsAs("SUCCEEDED", viaSecond, Duration.ofMinutes(2));
  }

  @Test
  @Order(1)
  void anIdleWorkerTakesAJobQueuedBehindALongOne() {
    String longJob = id(api.submit("train", tiny(1_000_000, 1_000_000, 1)));
    JsonNode running = until(longJob, Duration.ofMinutes(2), v -> is(v, "RUNNING"));
    String shortJob = id(api.submit("train", tiny(20, 20, 2)));

    JsonNode done = endsAs("SUCCEEDED", shortJob, Duration.ofMinutes(2));
    assertEquals("RUNNING", api.run(longJob).path("status").asText(), "the long job still runs");
    assertNotEquals(running.path("worker").asText(), done.path("worker").asText());

    api.cancel(longJob);
    endsAs("CANCELLED", longJob, Duration.ofMinutes(1));
  }

  /**
   * A worker killed mid-training: the job goes to the other worker, which resumes it from the
   * newest checkpoint and ends with the loss of a run that was never interrupted.
   */
  @Test
  @Order(2)
  void aKilledWorkersJobResumesElsewhereToTheSameLoss() throws Exception {
    String reference = id(api.submit("train", tiny(600, 100, 11)));
    JsonNode uninterrupted = endsAs("SUCCEEDED", reference, Duration.ofMinutes(5));

    String id = id(api.submit("train", tiny(600, 100, 11)));
    JsonNode first = until(id, Duration.ofMinutes(3), v -> v.path("checkpoints").size() >= 2);
    String killed = suite.instance(first.path("worker").asText());
    suite.kill(killed);

    JsonNode done = until(id, Duration.ofMinutes(5), WorkQueueTest::ended);
    suite.start(); // the killed trainer again
    assertEquals("SUCCEEDED", done.path("status").asText(), done.toString());
    assertEquals(2, done.path("attempt").asInt(), "a second attempt");
    String resumer = suite.instance(done.path("worker").asText());
    assertNotEquals(killed, resumer);
    assertTrue(
        suite.log(resumer).contains("resumed from " + suite.artifacts.resolve("runs").resolve(id)),
        "resumed from a checkpoint of the run");
    double expected = loss(reference, 600);
    double actual = loss(id, 600);
    assertEquals(expected, actual, 1e-4, "final loss of the resumed run against the reference");
  }

  /**
   * A worker that hangs past its lock (SIGSTOP) loses the job to the other worker; when it wakes it
   * is fenced: it stops without writing a checkpoint or a status, and the run has one set of each.
   */
  @Test
  @Order(3)
  void aHungWorkerLosesTheJobAndWritesNothingMore() throws Exception {
    String id = id(api.submit("train", tiny(1500, 100, 13)));
    JsonNode first = until(id, Duration.ofMinutes(3), v -> v.path("checkpoints").size() >= 1);
    String hung = suite.instance(first.path("worker").asText());
    suite.signal(hung, "STOP");
    try {
      until(id, Duration.ofMinutes(2), v -> v.path("attempt").asInt() == 2);
    } finally {
      suite.signal(hung, "CONT");
    }
    JsonNode done = endsAs("SUCCEEDED", id, Duration.ofMinutes(5));
    assertEquals(2, done.path("attempt").asInt());
    assertNotEquals(hung, suite.instance(done.path("worker").asText()));
    Thread.sleep(
        Duration.ofSeconds(10).toMillis()); // what the woken worker might still do, it does now
    assertTrue(
        suite.log(hung).contains("run " + id + ": attempt 1 lost its lease"),
        "the woken worker stopped");
    assertFalse(suite.log(hung).contains("run " + id + ": SUCCEEDED"), "and reported no end");

    assertRecordedCheckpointsAreTheFiles(id); // none overwritten by the hung worker
  }

  /**
   * A job that fails on every attempt (its checkpoint is corrupt) is given back until the attempt
   * limit, then fails with the last error; the queue goes on with the other jobs.
   */
  @Test
  @Order(4)
  void aJobFailingEveryAttemptGivesUpAfterTheLimitWhileOthersComplete() throws Exception {
    String train = id(api.submit("train", tiny(40, 20, 17)));
    JsonNode trained = endsAs("SUCCEEDED", train, Duration.ofMinutes(3));
    JsonNode newest = trained.path("checkpoints").get(trained.path("checkpoints").size() - 1);
    Files.writeString(Path.of(URI.create(newest.path("uri").asText())), "not a checkpoint");

    String poison = id(api.submit("eval", Bd3Client.object().put("trainRunId", train)));
    String good = // the older checkpoint is whole
        id(
            api.submit(
                "sample",
                Bd3Client.object()
                    .put("trainRunId", train)
                    .put("checkpointStep", 20)
                    .put("maxTokens", 8)));
    JsonNode failed = endsAs("FAILED", poison, Duration.ofMinutes(3));
    assertTrue(
        failed.path("error").asText().startsWith("gave up after 3 attempts: "),
        failed.path("error").asText());
    assertEquals(3, failed.path("attempt").asInt());
    endsAs("SUCCEEDED", good, Duration.ofMinutes(3));
    String after = id(api.submit("train", tiny(10, 10, 18)));
    endsAs("SUCCEEDED", after, Duration.ofMinutes(2));
  }

  /**
   * A job that kills every worker it reaches (here: the test kills each one) stops being delivered
   * at the attempt limit; the gateway fails it once the last worker has gone silent.
   */
  @Test
  @Order(5)
  void aJobThatKillsItsWorkersFailsAtTheLimit() throws Exception {
    String id = id(api.submit("train", tiny(1_000_000, 1_000_000, 19)));
    for (int attempt = 1; attempt <= 3; attempt++) {
      killHolderAt(id, attempt);
      if (attempt < 3) {
        suite.start(); // what an orchestrator would do
      }
    }
    JsonNode failed = until(id, Duration.ofMinutes(2), WorkQueueTest::ended);
    suite.start();
    assertEquals("FAILED", failed.path("status").asText(), failed.toString());
    assertTrue(
        failed.path("error").asText().startsWith("gave up after 3 attempts: worker lost"),
        failed.path("error").asText());
    String after = id(api.submit("train", tiny(10, 10, 20)));
    endsAs("SUCCEEDED", after, Duration.ofMinutes(2));
  }

  /**
   * PostgreSQL away for 90 s while a run reports: every event waits in Kafka and is applied once
   * the database is back; none goes to the dead-letter topic.
   */
  @Test
  @Order(6)
  void theDatabaseAwayForNinetySecondsLosesNoEvent() throws Exception {
    String id = id(api.submit("train", tiny(2000, 200, 23)));
    until(id, Duration.ofMinutes(2), v -> is(v, "RUNNING"));
    Instant since = Instant.now();
    suite.stack("stop", "postgres");
    try {
      Thread.sleep(Duration.ofSeconds(90).toMillis());
    } finally {
      suite.stack("start");
    }
    JsonNode done = endsAs("SUCCEEDED", id, Duration.ofMinutes(5));
    // a checkpoint every 200 steps; retention keeps the newest 3 and the best, and each removal
    // event waited for the database too: the records are exactly the files
    java.util.Set<Long> recorded = new java.util.TreeSet<>();
    done.path("checkpoints").forEach(c -> recorded.add(c.path("step").asLong()));
    java.util.Set<Long> onDisk = new java.util.TreeSet<>();
    try (Stream<Path> files =
        Files.list(suite.artifacts.resolve("runs").resolve(id).resolve("checkpoints"))) {
      files
          .filter(f -> f.toString().endsWith(".ckpt"))
          .forEach(
              f -> onDisk.add(Long.parseLong(f.getFileName().toString().replaceAll("\\D", ""))));
    }
    assertEquals(onDisk, recorded, "checkpoint records against files");
    assertTrue(
        recorded.containsAll(List.of(1600L, 1800L, 2000L)) && recorded.size() <= 4,
        recorded.toString());
    long lossRows = count(api.metrics(id), m -> m.path("name").asText().equals("loss"));
    assertEquals(200, lossRows, "a loss row every 10 steps");
    assertTrue(deadLetters(id, since).isEmpty(), "no event of the run went to the dead letters");
  }

  /** The broker stopped and started with a job running and one submitted meanwhile: both end. */
  @Test
  @Order(7)
  void theBrokerRestartedWithJobsInFlightLosesNone() throws Exception {
    String running = id(api.submit("train", tiny(1500, 100, 29)));
    until(running, Duration.ofMinutes(2), v -> is(v, "RUNNING"));
    suite.stack("stop", "kafka");
    String queued;
    try {
      Thread.sleep(Duration.ofSeconds(10).toMillis());
      queued = id(api.submit("train", tiny(20, 20, 31))); // waits in the outbox
      assertEquals("QUEUED", api.run(queued).path("status").asText());
      // the gateway stays ready (it serves and accepts); its health details say Kafka is away
      for (Instant until = Instant.now().plusSeconds(30);
          health("well") != 503 && Instant.now().isBefore(until); ) {
        Thread.sleep(500);
      }
      assertEquals(503, health("well"), "Kafka's state in the health details");
      assertEquals(200, health("ready"), "readiness does not depend on Kafka");
    } finally {
      suite.stack("start");
    }
    for (String id : List.of(running, queued)) {
      JsonNode done = endsAs("SUCCEEDED", id, Duration.ofMinutes(5));
    }
  }

  /**
   * Two crashes of the holder, then a graceful stop (SIGTERM, as a rolling update or a scale-in
   * sends) on what was the last delivery of the job's record: the stop costs no attempt, the job is
   * handed on as a new record and another trainer resumes it from its newest checkpoint.
   */
  @Test
  @Order(8)
  void twoCrashesThenAGracefulStopOfTheHolderStillSucceed() throws Exception {
    String id = id(api.submit("train", tiny(3000, 100, 37)));
    for (int attempt = 1; attempt <= 2; attempt++) {
      killHolderAt(id, attempt);
      suite.start();
    }
    JsonNode third =
        until(
            id,
            Duration.ofMinutes(2),
            v ->
                is(v, "RUNNING")
                    && v.path("attempt").asInt() == 3
                    && v.path("progress").path("step").asLong() > 0);
    String stopped = suite.instance(third.path("worker").asText());
    suite.signal(stopped, "TERM"); // returns once the trainer has exited
    suite.start();
    JsonNode done = endsAs("SUCCEEDED", id, Duration.ofMinutes(5));
    assertEquals(4, done.path("attempt").asInt(), "a fourth attempt, after three deliveries");
    assertTrue(
        suite.log(stopped).contains("run " + id + ": handed back"), "the stopped trainer said so");
    String resumer = suite.instance(done.path("worker").asText());
    assertTrue(
        suite.log(resumer).contains("resumed from " + suite.artifacts.resolve("runs").resolve(id)),
        "resumed from a checkpoint of the run");
  }

  /**
   * The same job record published twice (an outbox row sent again after its claim ran out): each
   * trainer may take a copy, but only one holds the run; the other is fenced off by the gateway,
   * writes no checkpoint and acknowledges its copy, which never comes back.
   */
  @Test
  @Order(9)
  void aJobRecordPublishedTwiceHasOneHolder() throws Exception {
    String topic = suite.topics.jobs(dev.bd3.jobs.JobType.TRAIN);
    Map<TopicPartition, Long> mark = endOffsets(topic);
    String id = id(api.submit("train", tiny(600, 100, 41)));
    ConsumerRecord<String, String> job = firstWithKey(topic, mark, id);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of("bootstrap.servers", suite.kafka()),
            new StringSerializer(),
            new StringSerializer())) {
      producer.send(new ProducerRecord<>(topic, id, job.value())).get();
    }
    JsonNode done = endsAs("SUCCEEDED", id, Duration.ofMinutes(5));
    assertEquals(1, done.path("attempt").asInt(), "no second attempt: a copy is not an attempt");
    String refusal = "run " + id + ": attempt 1 was refused by the gateway";
    for (Instant until = Instant.now().plusSeconds(60);
        !trainerLogs().contains(refusal) && Instant.now().isBefore(until); ) {
      Thread.sleep(500); // the copy is fenced once the gateway has seen it start
    }
    String logs = trainerLogs();
    assertTrue(logs.contains(refusal), "the copy's trainer was refused");
    assertEquals(
        1,
        logs.lines().filter(l -> l.contains("run " + id + ": SUCCEEDED")).count(),
        "one end reported");
    assertRecordedCheckpointsAreTheFiles(id);
    String after = id(api.submit("train", tiny(10, 10, 43)));
    endsAs("SUCCEEDED", after, Duration.ofMinutes(2));
    assertEquals(1, api.run(id).path("attempt").asInt(), "the spent copy never came back");
  }

  /** The HTTP status of the first gateway's {@code /q/health/<group>}. */
  private static int health(String group) throws IOException, InterruptedException {
    return java.net.http.HttpClient.newHttpClient()
        .send(
            java.net.http.HttpRequest.newBuilder(URI.create(suite.api() + "/q/health/" + group))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  /** Waits until the run is RUNNING at {@code attempt}, then kills the worker that holds it. */
  private static void killHolderAt(String id, int attempt) throws Exception {
    JsonNode running =
        until(
            id,
            Duration.ofMinutes(2),
            v -> is(v, "RUNNING") && v.path("attempt").asInt() == attempt);
    suite.kill(suite.instance(running.path("worker").asText()));
  }

  private static String trainerLogs() throws IOException {
    return suite.log("trainer") + suite.log("trainer-2");
  }

  /** Every checkpoint file of a run is the one the gateway recorded (none written by another). */
  private static void assertRecordedCheckpointsAreTheFiles(String id) throws IOException {
    Map<Long, String> recorded = new HashMap<>();
    for (JsonNode c : api.run(id).path("checkpoints")) {
      recorded.put(c.path("step").asLong(), c.path("sha256").asText());
    }
    Path dir = suite.artifacts.resolve("runs").resolve(id).resolve("checkpoints");
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".ckpt")).toList()) {
        long step = Long.parseLong(file.getFileName().toString().replaceAll("\\D", ""));
        assertEquals(recorded.get(step), sha256(file), "checkpoint at step " + step);
      }
    }
  }

  private static KafkaConsumer<String, String> consumer() {
    return new KafkaConsumer<>(
        Map.of(
            "bootstrap.servers", suite.kafka(),
            "key.deserializer", StringDeserializer.class.getName(),
            "value.deserializer", StringDeserializer.class.getName()));
  }

  private static Map<TopicPartition, Long> endOffsets(String topic) {
    try (KafkaConsumer<String, String> c = consumer()) {
      List<TopicPartition> partitions =
          c.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      return c.endOffsets(partitions);
    }
  }

  /** The first record with a key after a mark, waiting up to 30 s. */
  private static ConsumerRecord<String, String> firstWithKey(
      String topic, Map<TopicPartition, Long> mark, String key) {
    try (KafkaConsumer<String, String> c = consumer()) {
      c.assign(mark.keySet());
      mark.forEach(c::seek);
      Instant deadline = Instant.now().plusSeconds(30);
      while (Instant.now().isBefore(deadline)) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
          if (key.equals(r.key())) {
            return r;
          }
        }
      }
    }
    throw new AssertionError("no record with key " + key + " in " + topic);
  }

  private static String id(JsonNode run) {
    return run.path("id").asText();
  }

  private static boolean is(JsonNode run, String status) {
    return run.path("status").asText().equals(status);
  }

  private static boolean ended(JsonNode run) {
    return is(run, "SUCCEEDED") || is(run, "FAILED") || is(run, "CANCELLED");
  }

  /** Waits for a run to end, which it must do with {@code status}; its view. */
  private static JsonNode endsAs(String status, String id, Duration timeout) {
    JsonNode view = until(id, timeout, WorkQueueTest::ended);
    assertEquals(status, view.path("status").asText(), view.toString());
    return view;
  }

  /** Polls a run until {@code done} holds (or it ends). */
  private static JsonNode until(String id, Duration timeout, Predicate<JsonNode> done) {
    JsonNode view = api.await(id, timeout, v -> {}, done);
    assertTrue(done.test(view), "run " + id + " did not get there: " + view);
    return view;
  }

  /** The training loss a run recorded at a step. */
  private static double loss(String id, long step) {
    for (JsonNode m : api.metrics(id)) {
      if (m.path("name").asText().equals("loss") && m.path("step").asLong() == step) {
        return m.path("value").asDouble();
      }
    }
    throw new AssertionError("run " + id + " has no loss at step " + step);
  }

  private static long count(JsonNode rows, Predicate<JsonNode> match) {
    long n = 0;
    for (JsonNode row : rows) {
      if (match.test(row)) {
        n++;
      }
    }
    return n;
  }

  /** The dead letters keyed by a run, written since a moment. */
  private static List<ConsumerRecord<String, String>> deadLetters(String runId, Instant since) {
    try (KafkaConsumer<String, String> dlq = consumer()) {
      List<TopicPartition> partitions =
          dlq.partitionsFor(suite.topics.deadLetter()).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      dlq.assign(partitions);
      dlq.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = dlq.endOffsets(partitions);
      List<ConsumerRecord<String, String>> found = new java.util.ArrayList<>();
      Instant deadline = Instant.now().plusSeconds(30);
      while (partitions.stream().anyMatch(p -> dlq.position(p) < end.get(p))
          && Instant.now().isBefore(deadline)) {
        for (ConsumerRecord<String, String> r : dlq.poll(Duration.ofMillis(500))) {
          if (runId.equals(r.key()) && r.timestamp() >= since.toEpochMilli()) {
            found.add(r);
          }
        }
      }
      return found;
    }
  }

  private static String sha256(Path file) throws IOException {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
