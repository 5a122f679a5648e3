package dev.bd3.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker reads only files inside its artifact store, and says nothing of any other file. */
class ArtifactStoreTest {

  @Test
  void onlyFilesInsideTheStoreAreRead(@TempDir Path dir) throws Exception {
    Path root = Files.createDirectories(dir.resolve("store"));
    Path inside = Files.writeString(root.resolve("step-1.ckpt"), "x");
    Path outside = Files.writeString(dir.resolve("secret"), "s");
    Files.createSymbolicLink(root.resolve("link.ckpt"), outside);
    Files.createSymbolicLink(dir.resolve("store-link"), root);
    Path fifo = root.resolve("fifo.ckpt");
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor(), "mkfifo");
    Files.createDirectories(root.resolve("sub"));

    assertEquals(inside.toRealPath(), store(root).path(inside.toUri().toString()));
    // ways that stay inside are fine: a link to the store, a .. that ends inside it
    assertEquals(
        inside.toRealPath(),
        store(root).path(dir.resolve("store-link/step-1.ckpt").toUri().toString()));
    assertEquals(inside.toRealPath(), store(root).path(root.toUri() + "sub/../step-1.ckpt"));
    for (String uri :
        new String[] {
          outside.toUri().toString(), // exists, outside
          dir.resolve("missing").toUri().toString(), // does not exist
          root.resolve("link.ckpt").toUri().toString(), // a link inside that leads outside
          root.toUri() + "../secret", // a way out by ..
          root.toUri() + "%2e%2e/secret", // the same, percent-encoded
          root.toUri() + "sub/../../secret", // in, then out
          "file://evil.example" + outside, // a host: not a local file
          "file:" + outside, // the short form, outside
          fifo.toUri().toString(), // inside, but a FIFO would hold the reader
          root.resolve("sub").toUri().toString(), // inside, a directory
          root.toUri().toString(), // the store itself
          "file:/etc/shadow", // a file that exists (or not) elsewhere: the same answer
          "FILE:" + inside, // only the scheme as written
          outside.toString(), // a plain path, not a URI
          "http://example.com/step-1.ckpt",
          null
        }) {
      JobFailure refused = assertThrows(JobFailure.class, () -> store(root).path(uri));
      assertEquals(
          "not an artifact of this store: " + uri, refused.getMessage(), "the same answer");
    }
  }

  @Test
  void aDatasetIsReadOnlyFromTheStoreByItsSha256(@TempDir Path dir) throws Exception {
    Path root = Files.createDirectories(dir.resolve("store"));
    String sha = "ab".repeat(32);
    Path text = Files.createDirectories(root.resolve("datasets")).resolve(sha + ".txt");
    Files.writeString(text, "some text");
    assertEquals(text.toRealPath(), store(root).dataset(sha));

    String linked = "cd".repeat(32); // a link in the store that leads out of it
    Files.writeString(dir.resolve("secret"), "s");
    Files.createSymbolicLink(root.resolve("datasets/" + linked + ".txt"), dir.resolve("secret"));
    for (String name : new String[] {"ef".repeat(32), linked, "../secret", "AB".repeat(32)}) {
      JobFailure refused = assertThrows(JobFailure.class, () -> store(root).dataset(name));
      assertEquals("not an artifact of this store: dataset " + name, refused.getMessage());
    }
  }

  private static ArtifactStore store(Path root) {
    return new ArtifactStore(root, Optional.empty());
  }
}
