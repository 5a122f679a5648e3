package dev.bd3.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.model.data.Corpus;
import dev.bd3.model.data.TokenFile;
import dev.bd3.model.data.Tokenizer;
import dev.bd3.model.spec.Vocabulary;
import dev.bd3.storage.ObjectStore;
import dev.bd3.testsupport.LocalStack;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two workers that share no disk, only a bucket (the local stack's s3proxy): what one publishes the
 * other reads, fetched into its own folder and verified; nothing else is read.
 */
class ArtifactStoreS3Test {
  private static ObjectStore bucket;

  @TempDir Path dir;

  @BeforeAll
  static void connect() {
    LocalStack.S3 s3 = LocalStack.s3().asDefaultCredentials();
    bucket =
        new ObjectStore("worker-" + UUID.randomUUID(), Optional.of(s3.endpoint()), "us-east-1");
    bucket.ensureBucket();
  }

  @AfterAll
  static void disconnect() {
    bucket.close();
  }

  @Test
  void aCheckpointPublishedByOneWorkerIsReadByAnother() throws Exception {
    ArtifactStore writer = store("writer");
    ArtifactStore reader = store("reader");
    Path written =
        write(writer.root().resolve("runs/r1/checkpoints/step-00000010.ckpt"), "weights");
    String uri = writer.publish(written, sha256(written));
    assertEquals("s3://" + bucket.bucket() + "/runs/r1/checkpoints/step-00000010.ckpt", uri);

    Path read = reader.path(uri);
    assertTrue(read.startsWith(reader.root().toRealPath()), "fetched into the reader's folder");
    assertArrayEquals(Files.readAllBytes(written), Files.readAllBytes(read));

    writer.unpublish(written);
    JobFailure gone = assertThrows(JobFailure.class, () -> store("late").path(uri));
    assertEquals("not an artifact of this store: " + uri, gone.getMessage());
  }

  @Test
  void aJobTakenUpElsewhereFindsItsCheckpoints() throws Exception {
    ArtifactStore first = store("first");
    for (int step : new int[] {10, 20}) {
      Path p =
          write(
              first.root().resolve("runs/r2/checkpoints/step-000000" + step + ".ckpt"), "s" + step);
      first.publish(p, sha256(p));
    }
    Path other = write(first.root().resolve("runs/r3/checkpoints/step-00000010.ckpt"), "x");
    first.publish(other, sha256(other));

    ArtifactStore second = store("second");
    Path checkpoints = second.root().resolve("runs/r2/checkpoints");
    second.fetchAll(checkpoints);
    try (var files = Files.list(checkpoints)) {
      assertEquals(2, files.count(), "its own run's checkpoints, no other run's");
    }
    assertEquals("s20", Files.readString(checkpoints.resolve("step-00000020.ckpt")));
    assertFalse(Files.exists(second.root().resolve("runs/r3")));
  }

  @Test
  void anObjectWhoseBytesAreNotItsRecordIsRefused() throws Exception {
    ArtifactStore writer = store("w");
    Path written = write(writer.root().resolve("runs/r4/checkpoints/step-00000010.ckpt"), "good");
    bucket.put(
        "runs/r4/checkpoints/step-00000010.ckpt", written, sha256(write(dir.resolve("x"), "bad")));
    ArtifactStore reader = store("r");
    JobFailure refused =
        assertThrows(
            JobFailure.class,
            () -> reader.path(bucket.uri("runs/r4/checkpoints/step-00000010.ckpt")));
    assertTrue(refused.getMessage().contains("sha256"), refused.getMessage());
    assertFalse(Files.exists(reader.root().resolve("runs/r4/checkpoints/step-00000010.ckpt")));
  }

  @Test
  void aDatasetIsFetchedByItsSha256AndNothingElseIsRead() throws Exception {
    ArtifactStore gateway = store("gateway");
    String text = "some text\n\nmore text\n";
    String sha =
        HexFormat.of()
            .formatHex(
                MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    Path file = write(gateway.root().resolve("datasets/" + sha + ".txt"), text);
    gateway.publish(file, sha);
    ArtifactStore worker = store("worker");
    assertEquals(text, Files.readString(worker.dataset(sha)));

    Path secret = write(dir.resolve("secret"), "s");
    bucket.put("secret", secret, sha256(secret));
    for (String uri :
        new String[] {
          bucket.uri("../secret"), // out of the folder by ..
          bucket.uri("runs/../../secret"),
          bucket.uri("/etc/passwd"),
          "s3://another-bucket/runs/r1/checkpoints/step-00000010.ckpt", // not this store's
          bucket.uri("runs/none/step.ckpt") // missing: the same answer
        }) {
      JobFailure refused = assertThrows(JobFailure.class, () -> worker.path(uri));
      assertEquals("not an artifact of this store: " + uri, refused.getMessage());
    }
  }

  /** A text tokenized on one worker is read by another from the bucket, never tokenized again. */
  @Test
  void tokenStreamsKeptByOneWorkerAreReadByAnother() throws Exception {
    String text = UUID.randomUUID() + "\n\n" + "a paragraph of text\n\n".repeat(50);
    Path file = write(dir.resolve("text.txt"), text);
    Corpus corpus = Corpus.fromFile(file, "text");
    Tokenizer bytes = Tokenizer.of(Vocabulary.BYTES);
    ArtifactStore first = store("tokenizer");
    Corpus.Tokens made = corpus.tokens(bytes, first.tokens());
    assertTrue(
        bucket
            .keys("tokens/" + corpus.sha256() + "/")
            .contains("tokens/" + TokenFile.relative(corpus.sha256(), Vocabulary.BYTES)),
        "published");

    ArtifactStore second = store("reader");
    Corpus.Tokens read = second.tokens().load(corpus.sha256(), Vocabulary.BYTES).orElseThrow();
    assertArrayEquals(made.train(), read.train());
    assertArrayEquals(made.test(), read.test());
    assertTrue(second.tokens().load(corpus.sha256(), Vocabulary.GPT2).isEmpty(), "not made yet");

    // an object whose bytes are not its record is not read: the text is tokenized again
    Path key = TokenFile.relative("1".repeat(64), Vocabulary.BYTES);
    Path bad = write(dir.resolve("bad.tokens"), "not tokens");
    bucket.put("tokens/" + key, bad, sha256(write(dir.resolve("other"), "other")));
    assertTrue(store("third").tokens().load("1".repeat(64), Vocabulary.BYTES).isEmpty());
  }

  /**
   * A bucket that cannot be reached now is no answer about the artifact: the attempt fails with the
   * store's error, which the worker retries, not with the refusal that fails a job for good.
   */
  @Test
  void anUnreachableBucketIsNotARefusal() throws Exception {
    try (ObjectStore away =
        new ObjectStore(
            bucket.bucket(), Optional.of(URI.create("http://127.0.0.1:9")), "us-east-1")) {
      ArtifactStore worker =
          new ArtifactStore(Files.createDirectories(dir.resolve("cut-off")), Optional.of(away));
      RuntimeException e =
          assertThrows(
              RuntimeException.class,
              () -> worker.path(away.uri("runs/r5/checkpoints/step-00000010.ckpt")));
      assertFalse(e instanceof JobFailure, e.toString());
    }
  }

  private ArtifactStore store(String name) throws Exception {
    return new ArtifactStore(Files.createDirectories(dir.resolve(name)), Optional.of(bucket));
  }

  private static Path write(Path file, String text) throws Exception {
    Files.createDirectories(file.getParent());
    return Files.writeString(file, text);
  }

  private static String sha256(Path file) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }
}
