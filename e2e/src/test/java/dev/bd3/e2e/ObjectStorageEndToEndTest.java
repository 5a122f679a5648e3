package dev.bd3.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bd3.cli.Bd3Client;
import dev.bd3.storage.ObjectStore;
import dev.bd3.testsupport.LocalStack;
import dev.bd3.testsupport.LocalSuite;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.io.TempDir;

/**
 * The suite with its artifact store in a bucket (the local stack's s3proxy) and a folder of its own
 * for every service, as on machines that share no disk: a dataset uploaded to the gateway trains on
 * a trainer; a trainer killed mid-run gives its job to the other trainer, which fetches the
 * checkpoints from the bucket and resumes; every checkpoint is an {@code s3://} object whose bytes
 * have the recorded sha256; evaluation and sampling read the checkpoint from the bucket.
 */
class ObjectStorageEndToEndTest {
  private static final String BUCKET = "bd3-e2e-" + UUID.randomUUID();
  private static LocalSuite suite;
  private static Bd3Client api;
  private static ObjectStore bucket;

  @RegisterExtension
  static final TestWatcher PRINT_LOGS_ON_FAILURE =
      new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
          if (suite != null) {
            System.out.println(suite.logTails(40));
          }
        }
      };

  @BeforeAll
  static void start() {
    suite =
        new LocalSuite(
            "objects",
            Map.of(
                "BD3_S3_BUCKET", BUCKET,
                "TRAINERS", "2",
                "GATEWAYS", "1",
                "BD3_GATEWAY_JOBS_LOCK_DURATION", "15s",
                "BD3_GATEWAY_RUNS_STALE_AFTER", "20s"));
    suite.start();
    api = new Bd3Client(URI.create("http://127.0.0.1:" + suite.port("gateway")), suite.adminKey());
    LocalStack.S3 s3 = LocalStack.s3().asDefaultCredentials();
    bucket = new ObjectStore(BUCKET, Optional.of(s3.endpoint()), "us-east-1");
  }

  @AfterAll
  static void stop() {
    if (suite != null) {
      suite.stop();
    }
    if (bucket != null) {
      bucket.close();
    }
  }

  @Test
  void trainResumeEvaluateAndSampleWithoutASharedDisk(@TempDir Path dir) throws Exception {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 300; i++) {
      text.append("Line ").append(i).append(": a bucket holds what the workers share.\n\n");
    }
    Path upload = Files.writeString(dir.resolve("bucket.txt"), text);
    JsonNode dataset = api.uploadDataset("bucket-" + UUID.randomUUID(), upload);
    String sha = dataset.path("sha256").asText();
    assertTrue(bucket.exists("datasets/" + sha + ".txt"), "the gateway put the text in the bucket");

    String id =
        api.submit(
                "train",
                Bd3Client.object()
                    .put("preset", "micro")
                    .put("steps", 400)
                    .put("batchSize", 8)
                    .put("checkpointEvery", 100)
                    .put("corpus", dataset.path("id").asText())
                    .put("seed", 5))
            .path("id")
            .asText();
    JsonNode first =
        api.await(id, Duration.ofMinutes(3), v -> {}, v -> v.path("checkpoints").size() >= 1);
    String killed = suite.instance(first.path("worker").asText());
    suite.signal(killed, "KILL");
    JsonNode done = api.await(id, Duration.ofMinutes(5), v -> {});
    suite.suite("start"); // the killed trainer again
    assertEquals("SUCCEEDED", done.path("status").asText(), done.toString());
    String resumer = suite.instance(done.path("worker").asText());
    assertNotEquals(killed, resumer, "the other trainer finished it");
    assertTrue(suite.log(resumer).contains("resumed from "), "from a checkpoint in the bucket");

    for (JsonNode checkpoint : done.path("checkpoints")) {
      String uri = checkpoint.path("uri").asText();
      String prefix = "s3://" + BUCKET + "/runs/" + id + "/checkpoints/";
      assertTrue(uri.startsWith(prefix), uri);
      Path copy = dir.resolve("copy-" + checkpoint.path("step").asText());
      assertEquals(
          checkpoint.path("sha256").asText(), bucket.get(bucket.key(uri).orElseThrow(), copy));
      assertEquals(checkpoint.path("sha256").asText(), sha256(copy), "the bytes, hashed here");
      assertEquals(checkpoint.path("bytes").asLong(), Files.size(copy));
    }

    succeeds("eval", Bd3Client.object().put("trainRunId", id).put("maxSequences", 8));
    succeeds(
        "sample",
        Bd3Client.object().put("trainRunId", id).put("maxTokens", 16).put("numSamples", 1));
    Path evalFolder = suite.artifacts().resolve("eval/runs").resolve(id).resolve("checkpoints");
    assertTrue(
        Files.isDirectory(evalFolder), "the evaluator fetched the checkpoint into its own folder");
  }

  private static void succeeds(String type, ObjectNode spec) {
    String id = api.submit(type, spec).path("id").asText();
    JsonNode done = api.await(id, Duration.ofMinutes(5), v -> {});
    assertEquals("SUCCEEDED", done.path("status").asText(), done.toString());
  }

  private static String sha256(Path file) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }
}
