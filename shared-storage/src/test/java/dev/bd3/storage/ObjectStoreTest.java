package dev.bd3.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.testsupport.LocalStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** The object store against a real S3-compatible server: the local stack's s3proxy. */
class ObjectStoreTest {
  private static ObjectStore store;

  @TempDir Path dir;

  @BeforeAll
  static void connect() {
    store = newStore();
  }

  @AfterAll
  static void disconnect() {
    store.close();
  }

  @Test
  void aFileComesBackWithItsBytesAndSha256() throws Exception {
    Path file = randomFile(dir.resolve("a.ckpt"), 3_000_000, 1);
    String sha = sha256(file);
    String key = "runs/r1/checkpoints/step-000010.ckpt";
    store.put(key, file, sha);
    assertTrue(store.exists(key));
    assertEquals(List.of(key), store.keys("runs/r1/"));
    Path copy = dir.resolve("mirror/runs/r1/step.ckpt");
    assertEquals(sha, store.get(key, copy));
    assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(copy));
    store.delete(key);
    assertFalse(store.exists(key));
    assertEquals(List.of(), store.keys("runs/r1/"));
  }

  @Test
  void bytesThatAreNotTheRecordedOnesAreRefusedAndNothingIsWritten() throws Exception {
    Path file = randomFile(dir.resolve("b.txt"), 10_000, 2);
    String key = "datasets/tampered.txt";
    store.put(key, file, "0".repeat(64)); // an object whose bytes are not what its record says
    Path target = dir.resolve("mirror/datasets/tampered.txt");
    ObjectStore.CorruptObjectException e =
        assertThrows(ObjectStore.CorruptObjectException.class, () -> store.get(key, target));
    assertTrue(e.getMessage().contains(store.uri(key)), e.getMessage());
    assertFalse(Files.exists(target));
    try (var left = Files.list(target.getParent())) {
      assertEquals(0, left.count(), "no partial download is left behind");
    }
  }

  @Test
  void aMissingObjectIsRefusedAndNothingIsWritten() {
    Path target = dir.resolve("mirror/none.ckpt");
    S3Exception e = assertThrows(S3Exception.class, () -> store.get("runs/none/step.ckpt", target));
    assertEquals(404, e.statusCode());
    assertFalse(Files.exists(target));
  }

  @Test
  void uriNamesAKeyOfThisBucketOnly() {
    String uri = store.uri("runs/r/checkpoints/x.ckpt");
    assertEquals("s3://" + store.bucket() + "/runs/r/checkpoints/x.ckpt", uri);
    assertEquals(Optional.of("runs/r/checkpoints/x.ckpt"), store.key(uri));
    assertEquals(Optional.empty(), store.key("s3://another-bucket/runs/r/x.ckpt"));
    assertEquals(Optional.empty(), store.key("file:/etc/passwd"));
    assertEquals(Optional.empty(), store.key("s3://" + store.bucket() + "/"));
  }

  /** Services that start together all find the bucket missing; every one of them goes on. */
  @Test
  void servicesStartingTogetherAllEnsureTheBucket() throws Exception {
    String name = "together-" + UUID.randomUUID();
    LocalStack.S3 s3 = LocalStack.s3().asDefaultCredentials();
    List<ObjectStore> services = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      services.add(new ObjectStore(name, Optional.of(s3.endpoint()), "us-east-1"));
    }
    ExecutorService pool = Executors.newFixedThreadPool(services.size());
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> ensured = new ArrayList<>();
      for (ObjectStore service : services) {
        ensured.add(
            pool.submit(
                () -> {
                  start.await();
                  service.ensureBucket();
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : ensured) {
        f.get(); // throws if one of them failed
      }
      assertEquals(List.of(), services.get(0).keys(""), "the bucket exists, empty");
    } finally {
      pool.shutdown();
      services.forEach(ObjectStore::close);
    }
  }

  static Path randomFile(Path file, int bytes, long seed) throws Exception {
    byte[] data = new byte[bytes];
    new Random(seed).nextBytes(data);
    Files.createDirectories(file.getParent());
    return Files.write(file, data);
  }

  static String sha256(Path file) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }

  /** A store on the local stack's s3proxy, in a bucket of its own. */
  static ObjectStore newStore() {
    LocalStack.S3 s3 = LocalStack.s3().asDefaultCredentials();
    ObjectStore s =
        new ObjectStore("test-" + UUID.randomUUID(), Optional.of(s3.endpoint()), "us-east-1");
    s.ensureBucket();
    return s;
  }
}
