package dev.bd3.worker;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The artifact store is a directory (a docker volume or a Kubernetes PVC) shared by the workers;
 * checkpoints are named by {@code file:} URIs into it. A worker reads nothing outside it: a URI
 * that does not resolve, links followed, to a file inside the store is refused with one message,
 * whether or not such a file exists elsewhere.
 */
public final class ArtifactStore {
  private ArtifactStore() {}

  /**
   * The regular file inside {@code root} that a {@code file:} URI names; anything else is refused
   * (a FIFO or a device inside the store too: reading one would hold the worker).
   */
  public static Path path(String uri, Path root) {
    JobFailure refused = new JobFailure("not an artifact of this store: " + uri);
    if (uri == null || !uri.startsWith("file:")) {
      throw refused;
    }
    try {
      Path file = Path.of(URI.create(uri)).toRealPath();
      if (!file.startsWith(root.toRealPath()) || !Files.isRegularFile(file)) {
        throw refused;
      }
      return file;
    } catch (IOException | IllegalArgumentException e) {
      throw refused;
    }
  }

  public static String uri(Path file) {
    return file.toAbsolutePath().normalize().toUri().toString();
  }
}
