package dev.bd3.worker;

import dev.bd3.model.data.Corpus;
import dev.bd3.model.data.TokenFile;
import dev.bd3.model.data.TokenStore;
import dev.bd3.model.spec.CorpusText;
import dev.bd3.model.spec.Vocabulary;
import dev.bd3.storage.ObjectStore;
import dev.bd3.storage.ObjectStores;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The artifact store: a folder, and optionally a bucket of S3-compatible object storage behind it.
 * Without a bucket the folder is shared by the workers (a docker volume, a Kubernetes PVC) and
 * checkpoints are named by {@code file:} URIs into it. With one, every checkpoint written goes to
 * the bucket too and is named by its {@code s3://} URI; any worker fetches what it reads into its
 * own folder (verified against the sha256 the object carries), so workers share no disk. Uploaded
 * datasets are found by their sha256 either way. A worker reads nothing outside its folder: a URI
 * that does not resolve, links followed, to a file inside it is refused with one message, whether
 * or not such a file exists elsewhere.
 */
@Singleton
public class ArtifactStore {
  private static final Logger LOG = Logger.getLogger(ArtifactStore.class);

  /** A key of the bucket: a relative path of plain names, never {@code ..}. */
  private static final Pattern KEY =
      Pattern.compile("([A-Za-z0-9_-][A-Za-z0-9._-]*/)*[A-Za-z0-9_-][A-Za-z0-9._-]*");

  private final Path root;
  private final Optional<ObjectStore> objects;

  public ArtifactStore(Path root, Optional<ObjectStore> objects) {
    this.root = root;
    this.objects = objects;
  }

  @Inject
  ArtifactStore(WorkerConfig config, ObjectStores objects) {
    this(config.artifactDir(), objects.store());
  }

  /** The folder. */
  public Path root() {
    return root;
  }

  /**
   * The regular file inside the folder that a checkpoint URI names ({@code file:} into the folder,
   * or {@code s3://} in this store's bucket, fetched when the folder lacks it); anything else is
   * refused (a FIFO or a device inside the folder too: reading one would hold the worker).
   */
  public Path path(String uri) {
    JobFailure refused = refused(uri);
    if (uri == null) {
      throw refused;
    }
    Optional<String> key = objects.flatMap(o -> o.key(uri));
    if (key.isPresent()) {
      return contained(fetched(key.get(), refused), refused);
    }
    if (!uri.startsWith("file:")) {
      throw refused;
    }
    try {
      return contained(Path.of(URI.create(uri)), refused);
    } catch (IllegalArgumentException e) {
      throw refused;
    }
  }

  /** The file of the uploaded dataset whose text has this sha256, refused as {@link #path} is. */
  public Path dataset(String sha256) {
    JobFailure refused = refused("dataset " + sha256);
    try {
      Path file = CorpusText.datasetFile(root, sha256);
      return contained(objects.isPresent() ? fetched(key(file), refused) : file, refused);
    } catch (IllegalArgumentException e) {
      throw refused;
    }
  }

  /**
   * The token streams of corpora, under {@code tokens/<text sha256>/} in the folder and in the
   * bucket (verified by its sha256 when fetched): each text is tokenized once per tokenizer for
   * every worker. A file that cannot be read is made again and replaced.
   */
  public TokenStore tokens() {
    return new TokenStore() {
      @Override
      public Optional<Corpus.Tokens> load(String textSha256, Vocabulary vocabulary) {
        Path file = tokenFile(textSha256, vocabulary);
        if (objects.isPresent() && !Files.exists(file)) {
          try {
            fetched(key(file), refused(file.toString()));
          } catch (JobFailure missingOrCorrupt) {
            return Optional.empty();
          }
        }
        if (!Files.isRegularFile(file)) {
          return Optional.empty();
        }
        try {
          Optional<Corpus.Tokens> tokens = TokenFile.read(file, textSha256, vocabulary);
          tokens.ifPresent(
              t -> LOG.infof("%s tokens of text %s read from %s", vocabulary, textSha256, file));
          return tokens;
        } catch (IllegalArgumentException e) {
          LOG.warnf("%s; tokenizing again", e.getMessage());
          return Optional.empty();
        }
      }

      @Override
      public void save(String textSha256, Vocabulary vocabulary, Corpus.Tokens tokens) {
        Path file = tokenFile(textSha256, vocabulary);
        publish(file, TokenFile.write(file, textSha256, vocabulary, tokens));
        LOG.infof("%s tokens of text %s kept in %s", vocabulary, textSha256, file);
      }
    };
  }

  private Path tokenFile(String textSha256, Vocabulary vocabulary) {
    return root.resolve("tokens").resolve(TokenFile.relative(textSha256, vocabulary));
  }

  /**
   * Publishes a file written inside the folder: to the bucket when there is one. Returns the URI
   * that names it for every worker.
   */
  public String publish(Path file, String sha256) {
    if (objects.isEmpty()) {
      return uri(file);
    }
    String key = key(file);
    objects.get().put(key, file, sha256);
    return objects.get().uri(key);
  }

  /** Removes a published file's copy in the bucket (the caller removes the file). */
  public void unpublish(Path file) {
    objects.ifPresent(o -> o.delete(key(file)));
  }

  /**
   * Fetches into {@code dir} (a folder inside the store) every object of the bucket under it that
   * it lacks: a job taken up again on another worker finds its checkpoints there.
   */
  public void fetchAll(Path dir) {
    if (objects.isEmpty()) {
      return;
    }
    for (String key : objects.get().keys(key(dir) + "/")) {
      fetched(key, refused(objects.get().uri(key)));
    }
  }

  private String key(Path file) {
    return root.toAbsolutePath()
        .normalize()
        .relativize(file.toAbsolutePath().normalize())
        .toString();
  }

  /** The file for a key, fetched from the bucket when the folder lacks it. */
  private Path fetched(String key, JobFailure refused) {
    if (!KEY.matcher(key).matches()) {
      throw refused;
    }
    Path file = root.resolve(key);
    if (!Files.exists(file)) {
      try {
        objects.orElseThrow().get(key, file);
      } catch (ObjectStore.CorruptObjectException e) {
        throw new JobFailure(e.getMessage());
      } catch (S3Exception e) {
        if (e.statusCode() == 404) {
          throw refused; // missing: the same answer as for a file
        }
        throw e; // the store unreachable or refusing for now: the attempt fails, the job is retried
      }
    }
    return file;
  }

  private Path contained(Path path, JobFailure refused) {
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
