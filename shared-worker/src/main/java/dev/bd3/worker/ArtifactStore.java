package dev.bd3.worker;

import java.net.URI;
import java.nio.file.Path;

/**
 * The artifact store is a directory (a docker volume or a Kubernetes PVC) shared by the workers;
 * checkpoints are named by {@code file:} URIs into it.
 */
public final class ArtifactStore {
  private ArtifactStore() {}

  /** The file a checkpoint URI names: a {@code file:} URI or a plain path. */
  public static Path path(String uri) {
    if (uri == null || uri.isBlank()) {
      throw new JobFailure("no checkpoint given");
    }
    return uri.startsWith("file:") ? Path.of(URI.create(uri)) : Path.of(uri);
  }

  public static String uri(Path file) {
    return file.toAbsolutePath().normalize().toUri().toString();
  }
}
