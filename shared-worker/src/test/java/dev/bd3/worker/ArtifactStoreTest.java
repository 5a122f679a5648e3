package dev.bd3.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
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

    assertEquals(inside.toRealPath(), ArtifactStore.path(inside.toUri().toString(), root));
    for (String uri :
        new String[] {
          outside.toUri().toString(), // exists, outside
          dir.resolve("missing").toUri().toString(), // does not exist
          root.resolve("link.ckpt").toUri().toString(), // a link inside that leads outside
          root.toUri() + "../secret", // a way out by ..
          outside.toString(), // a plain path, not a URI
          "http://example.com/step-1.ckpt",
          null
        }) {
      JobFailure refused = assertThrows(JobFailure.class, () -> ArtifactStore.path(uri, root));
      assertEquals(
          "not an artifact of this store: " + uri, refused.getMessage(), "the same answer");
    }
  }
}
