package dev.bd3.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bd3.cli.Bd3Client;
import dev.bd3.jobs.JobType;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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
 * The whole suite through its REST API on real Kafka and PostgreSQL: an unreadable job parked, then
 * train -> eval -> sample. Faults (workers killed or hung, the broker and the database away) are
 * {@link WorkQueueTest}'s.
 */
@ExtendWith(SharedSuite.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SuiteEndToEndTest {
  private static final double UNIFORM_PERPLEXITY = 259; // every id but MASK equally likely
  private static Suite suite;
  private static Bd3Client api;
  private static String trainId; // the model the tests after the first train sample from

  @BeforeAll
  static void startSuite(Suite shared) {
    suite = shared; // stopped after the last test class
    api = suite.client();
  }

  /**
   * A job no worker can read goes to the dead-letter topic; the next test shows the worker went on.
   */
  @Test
  @Order(0)
  void unreadableJobGoesToTheDeadLetterTopic() throws Exception {
    Map<String, Object> config =
        Map.of(
            "bootstrap.servers", suite.kafka(),
            "key.serializer", StringSerializer.class.getName(),
            "value.serializer", StringSerializer.class.getName(),
            "key.deserializer", StringDeserializer.class.getName(),
            "value.deserializer", StringDeserializer.class.getName());
    String key = "poison-" + UUID.randomUUID();
    try (KafkaConsumer<String, String> dlq = new KafkaConsumer<>(config)) {
      List<TopicPartition> partitions =
          dlq.partitionsFor(suite.topics.deadLetter()).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      dlq.assign(partitions);
      dlq.seekToEnd(partitions);
      partitions.forEach(dlq::position); // fix the starting point before the poison is sent
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
        producer
            .send(new ProducerRecord<>(suite.topics.jobs(JobType.TRAIN), key, "{not json"))
            .get();
      }
      Instant deadline = Instant.now().plusSeconds(60);
      ConsumerRecord<String, String> found = null;
      while (found == null && Instant.now().isBefore(deadline)) {
        for (ConsumerRecord<String, String> r : dlq.poll(Duration.ofMillis(500))) {
          if (key.equals(r.key())) {
            found = r;
          }
        }
      }
      assertNotNull(found, "the unreadable job reached " + suite.topics.deadLetter());
      assertEquals("{not json", found.value());
      assertNotNull(found.headers().lastHeader("dead-letter-reason"), "with the reason");
    }
  }

  @Test
  @Order(1)
  void trainEvaluateAndSample() throws Exception {
    JsonNode train =
        await(
            api.submit(
                "train",
                Bd3Client.object()
                    .put("preset", "micro")
                    .put("steps", 150)
                    .put("batchSize", 16)
                    .put("learningRate", 3e-3)
                    .put("checkpointEvery", 50)
                    .put("seed", 3)));
    trainId = train.path("id").asText();

    // a checkpoint record whose file exists with the recorded hash and size
    JsonNode checkpoints = train.path("checkpoints");
    assertEquals(3, checkpoints.size(), "checkpoints at steps 50, 100, 150: " + checkpoints);
    JsonNode newest = checkpoints.get(checkpoints.size() - 1);
    Path file = Path.of(URI.create(newest.path("uri").asText()));
    assertTrue(Files.exists(file), "checkpoint file " + file);
    assertEquals(Files.size(file), newest.path("bytes").asLong());
    assertEquals(sha256(file), newest.path("sha256").asText());

    // metric rows: the training loss fell
    List<Double> loss = new ArrayList<>();
    for (JsonNode m : api.metrics(trainId)) {
      if (m.path("name").asText().equals("loss")) {
        loss.add(m.path("value").asDouble());
      }
    }
    assertTrue(loss.size() >= 10, "loss rows: " + loss.size());
    assertTrue(
        loss.get(loss.size() - 1) < 0.8 * loss.get(0),
        "loss " + loss.get(0) + " -> " + loss.get(loss.size() - 1));

    JsonNode eval =
        await(
            api.submit(
                "eval", Bd3Client.object().put("trainRunId", trainId).put("maxSequences", 32)));
    double ppl = result(eval, "ppl");
    assertTrue(Double.isFinite(ppl) && ppl > 1, "perplexity " + ppl);
    assertTrue(
        ppl < UNIFORM_PERPLEXITY / 4,
        "perplexity " + ppl + " is not clearly below " + UNIFORM_PERPLEXITY);
    assertEquals(
        newest.path("uri").asText(), eval.path("evalResults").get(0).path("checkpoint").asText());

    JsonNode sample =
        await(
            api.submit(
                "sample",
                Bd3Client.object()
                    .put("trainRunId", trainId)
                    .put("numSamples", 2)
                    .put("maxTokens", 64)
                    .put("prompt", "The ")));
    JsonNode samples = sample.path("samples");
    assertEquals(2, samples.size());
    for (JsonNode s : samples) {
      String text = s.path("text").asText();
      assertFalse(text.isEmpty(), "empty sample");
      assertTrue(s.path("tokens").asInt() > 0 && s.path("tokens").asInt() <= 64);
      assertTrue(s.path("nfe").asInt() > 0);
      // valid UTF-8: encodes and decodes strictly
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }
  }

  /**
   * Sample jobs that run at once for one model share its decode batch, and each still ends on its
   * own: four short jobs join a long one while it runs, each finishes with its own samples and the
   * mean number of requests in its passes above 1, and the long one is then cancelled alone.
   */
  @Test
  @Order(2)
  void sampleJobsForOneModelShareADecodeBatch() {
    assertNotNull(trainId, "the model trained by the test before");
    String longId =
        api.submit(
                "sample",
                Bd3Client.object()
                    .put("trainRunId", trainId)
                    .put("maxTokens", 100_000)
                    .put("stopOnEos", false)
                    .put("entropyThreshold", 0)
                    .put("prompt", "The "))
            .path("id")
            .asText();
    // running once it has counted its prompt, right before it joins the batch
    api.await(
        longId,
        Duration.ofMinutes(2),
        v -> {},
        v -> !api.metrics(longId, "prompt_tokens").isEmpty());
    List<String> shortIds = new ArrayList<>();
    for (int seed = 0; seed < 4; seed++) {
      shortIds.add(
          api.submit(
                  "sample",
                  Bd3Client.object()
                      .put("trainRunId", trainId)
                      .put("maxTokens", 48)
                      .put("seed", seed)
                      .put("prompt", "Sample " + seed))
              .path("id")
              .asText());
    }
    for (String id : shortIds) {
      JsonNode done = api.await(id, Duration.ofMinutes(5), v -> {});
      assertEquals("SUCCEEDED", done.path("status").asText(), "run " + id + ": " + done);
      assertEquals(1, done.path("samples").size());
      assertTrue(done.path("samples").get(0).path("tokens").asInt() > 0);
      JsonNode mates = api.metrics(id, "batch_requests");
      assertEquals(1, mates.size(), "run " + id + ": " + mates);
      assertTrue(mates.get(0).path("value").asDouble() > 1, "run " + id + ": " + mates);
    }
    assertEquals("RUNNING", api.run(longId).path("status").asText(), "the long job goes on");
    api.cancel(longId);
    JsonNode cancelled = api.await(longId, Duration.ofMinutes(2), v -> {});
    assertEquals("CANCELLED", cancelled.path("status").asText());
  }

  private static JsonNode await(JsonNode submitted) {
    return await(submitted, Duration.ofMinutes(10));
  }

  private static JsonNode await(JsonNode submitted, Duration timeout) {
    String id = submitted.path("id").asText();
    JsonNode done = api.await(id, timeout, v -> {});
    assertEquals("SUCCEEDED", done.path("status").asText(), "run " + id + ": " + done);
    return done;
  }

  private static double result(JsonNode run, String metric) {
    for (JsonNode r : run.path("evalResults")) {
      if (r.path("metric").asText().equals(metric)) {
        return r.path("value").asDouble();
      }
    }
    throw new AssertionError("no " + metric + " in " + run);
  }

  private static String sha256(Path file) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }
}
