package dev.bd3.worker;

import dev.bd3.jobs.CorpusText;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The artifact store is a directory (a docker volume or a Kubernetes PVC) shared by the workers;
 * checkpoints are named by {@code file:} URIs into it, uploaded datasets by their sha256. A worker
 * reads nothing outside it: a URI that does not resolve, links followed, to a file inside the store
 * is refused with one message, whether or not such a file exists elsewhere.
 */
public final class ArtifactStore {
  private ArtifactStore() {}

  /**
   * The regular file inside {@code root} that a {@code file:} URI names; anything else is refused
   * (a FIFO or a device inside the store too: reading one would hold the worker).
   */
  public static Path path(String uri, Path root) {
    JobFailure refused = refused(uri);
    if (uri == null || !uri.startsWith("file:")) {
      throw refused;
    }
    try {
      return contained(Path.of(URI.create(uri)), root, refused);
    } catch (IllegalArgumentException e) {
      throw refused;
    }
  }

  /** The file of the uploaded dataset whose text has this sha256, refused as {@link #path} is. */
  public static Path dataset(String sha256, Path root) {
    JobFailure refused = refused("dataset " + sha256);
    try {
      return contained(CorpusText.datasetFile(root, sha256), root, refused);
    } catch (IllegalArgumentException e) {
      throw refused;
    }
  }

  private static Path contained(Path path, Path root, JobFailure refused) {
    try {
      Path file = path.toRealPath();
      if (!file.startsWith(root.toRealPath()) || !Files.isRegularFile(file)) {
        throw refused;
      }
      return file;
    } catch (IOException e) {
      throw refused;
    }
  }

  private static JobFailure refused(String what) {
    return new JobFailure("not an artifact of this store: " + what);
  }

  /** Refuses the job when {@code what}'s text is not the one recorded ({@code null}: none). */
  public static void verify(String what, String sha256, String recorded) {
    if (recorded != null && !recorded.equals(sha256)) {
      throw new JobFailure(what + " is not the text recorded for it (sha256 " + sha256 + ")");
    }
  }

  public static String uri(Path file) {
    return file.toAbsolutePath().normalize().toUri().toString();
  }
}
