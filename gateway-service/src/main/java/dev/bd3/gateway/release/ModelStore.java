package dev.bd3.gateway.release;

import dev.bd3.gateway.GatewayConfig;
import dev.bd3.gateway.problems.ProblemException;
import dev.bd3.jobs.SpecValidation;
import dev.bd3.jobs.SpecViolation;
import dev.bd3.jobs.TrainSpec;
import dev.bd3.model.spec.Vocabulary;
import dev.bd3.model.spec.release.ReleaseConfig;
import dev.bd3.model.spec.release.ReleaseLayout;
import dev.bd3.storage.ObjectStore;
import dev.bd3.storage.ObjectStores;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The files of imported and exported models. An import's two parts are checked without loading a
 * tensor ({@code config.json} against the reference's rules and this suite's, the header of {@code
 * model.safetensors} against the config's layout), and converted to a checkpoint file where
 * training runs' checkpoints are ({@code runs/<run id>/checkpoints} in the artifact store, and its
 * bucket when it has one), so that workers read it as any other. An export reads a recorded
 * checkpoint from the store.
 */
@ApplicationScoped
public class ModelStore {
  /** A folder of the store as an import names it: relative, plain names, never {@code ..}. */
  private static final Pattern STORE_PATH =
      Pattern.compile("([A-Za-z0-9_-][A-Za-z0-9._-]*/)*[A-Za-z0-9_-][A-Za-z0-9._-]*");

  /** A config.json is a few hundred bytes; anything near this is something else. */
  private static final long MAX_CONFIG = 1 << 20;

  @Inject GatewayConfig config;
  @Inject ObjectStores objects;

  /**
   * An import, checked: the release and the training spec that describes its model.
   *
   * @param sha256 the sha256 of its {@code model.safetensors}
   */
  public record Checked(ReleaseLayout.Release release, TrainSpec spec, String sha256) {}

  /** Where an import's checkpoint went, with its sha256 and size. */
  public record Written(UUID runId, String uri, String sha256, long bytes) {}

  /** A checkpoint file to read: the store's own, or a copy fetched for one request. */
  public record Local(Path path, boolean fetched) implements AutoCloseable {
    /** Deletes a fetched copy. */
    @Override
    public void close() {
      if (fetched) {
        deleteQuietly(path);
      }
    }
  }

  /**
   * A release folder named in the artifact store: its two files, the store's own, or copies fetched
   * from its bucket for this request (deleted on close).
   */
  public record Folder(Path config, Path weights, Path fetchedInto) implements AutoCloseable {
    @Override
    public void close() {
      if (fetchedInto != null) {
        deleteQuietly(fetchedInto.resolve(ReleaseLayout.CONFIG));
        deleteQuietly(fetchedInto.resolve(ReleaseLayout.WEIGHTS));
        deleteQuietly(fetchedInto);
      }
    }
  }

  /**
   * The release folder at {@code path} in the artifact store (a relative path of plain names): in
   * its folder, else, when it has a bucket, the objects under that prefix. A 400 names the field
   * {@code path} when it is no such folder, a 413 when its weights pass the limit.
   */
  public Folder folder(String path) {
    if (path == null || !STORE_PATH.matcher(path).matches()) {
      throw ProblemException.invalid(
          "path", "a folder of the artifact store: a relative path of plain names, without ..");
    }
    Path root = config.artifactDir().toAbsolutePath().normalize();
    Path dir = root.resolve(path);
    Path configFile = dir.resolve(ReleaseLayout.CONFIG);
    Path weights = dir.resolve(ReleaseLayout.WEIGHTS);
    if (Files.isRegularFile(configFile) && Files.isRegularFile(weights)) {
      if (!inside(configFile, root) || !inside(weights, root)) { // a link out of the store
        throw notAFolder(path);
      }
      return limited(new Folder(configFile, weights, null));
    }
    ObjectStore bucket = objects.store().orElseThrow(() -> notAFolder(path));
    String prefix = root.relativize(dir).toString() + "/";
    List<String> keys = bucket.keys(prefix);
    if (!keys.contains(prefix + ReleaseLayout.CONFIG)
        || !keys.contains(prefix + ReleaseLayout.WEIGHTS)) {
      throw notAFolder(path);
    }
    Path into = root.resolve("imports").resolve(UUID.randomUUID().toString());
    Folder folder =
        new Folder(into.resolve(ReleaseLayout.CONFIG), into.resolve(ReleaseLayout.WEIGHTS), into);
    try {
      bucket.copy(prefix + ReleaseLayout.CONFIG, folder.config());
      bucket.copy(prefix + ReleaseLayout.WEIGHTS, folder.weights());
      return limited(folder);
    } catch (RuntimeException e) {
      folder.close();
      throw e instanceof ObjectStore.CorruptObjectException
          ? ProblemException.invalid("path", e.getMessage())
          : e;
    }
  }

  private Folder limited(Folder folder) {
    long max = config.models().maxSize().asLongValue();
    try {
      if (Files.size(folder.weights()) > max) {
        folder.close();
        throw ProblemException.tooLarge(
            ReleaseLayout.WEIGHTS + " is larger than the limit of " + max + " bytes");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return folder;
  }

  private static ProblemException notAFolder(String path) {
    return ProblemException.invalid(
        "path",
        "the artifact store holds no release folder "
            + path
            + " ("
            + ReleaseLayout.CONFIG
            + " and "
            + ReleaseLayout.WEIGHTS
            + ")");
  }

  /**
   * Checks an import's two files: a 400 names the part at fault ({@code config}, {@code weights})
   * and, in the weights, the tensor.
   */
  public Checked check(Path configFile, Path weightsFile) {
    try {
      if (Files.size(configFile) > MAX_CONFIG) {
        throw ProblemException.invalid("config", "larger than " + MAX_CONFIG + " bytes");
      }
      ReleaseConfig release;
      try {
        release = ReleaseLayout.config(Files.readAllBytes(configFile));
      } catch (IllegalArgumentException e) {
        throw ProblemException.invalid("config", e.getMessage());
      }
      ReleaseLayout.Release checked;
      try {
        checked = ReleaseLayout.check(release, weightsFile);
      } catch (IllegalArgumentException e) {
        throw ProblemException.invalid("weights", e.getMessage());
      }
      return new Checked(checked, spec(checked), sha256(weightsFile));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The training spec that describes an imported model as far as a spec can: its shape, tokenizer
   * and noise interval, what the gateway sizes and checks the jobs that read it by, and what a
   * training job that starts from it builds. A model this suite would not train (a tokenizer it
   * lacks, a size past a spec's limits, time conditioning) is refused.
   */
  private static TrainSpec spec(ReleaseLayout.Release release) {
    ReleaseConfig c = release.config();
    Vocabulary vocabulary =
        Vocabulary.ofSize(c.vocabSize())
            .orElseThrow(
                () ->
                    ProblemException.invalid(
                        "config",
                        "vocab_size "
                            + c.vocabSize()
                            + " is no tokenizer's: "
                            + Arrays.stream(Vocabulary.values())
                                .map(v -> v.size + " (" + v.json() + ")")
                                .toList()));
    if (c.tokenizer() != null && !c.tokenizer().equals(vocabulary.json())) {
      throw ProblemException.invalid(
          "config",
          "tokenizer "
              + c.tokenizer()
              + " does not read the "
              + c.vocabSize()
              + " ids of the model");
    }
    if (c.timeConditioning()) { // the reference's BD3-LMs never are; their sampler is not ported
      throw ProblemException.invalid(
          "config", "time_conditioning: a time-conditioned model is not supported");
    }
    // no preset: every field of the shape is given (every preset's MLP is 4 D, as the reference's)
    TrainSpec spec =
        new TrainSpec(
            null,
            c.nBlocks(),
            c.hiddenDim(),
            c.nHeads(),
            c.modelLength(),
            c.effectiveBlockSize(),
            c.dropout(),
            c.effectiveCondDim(),
            c.causal(),
            vocabulary.json(),
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            release.low(),
            release.high(),
            null,
            null,
            null,
            null,
            null,
            null);
    List<SpecViolation> violations = SpecValidation.violations(spec);
    if (!violations.isEmpty()) {
      throw ProblemException.invalid(
          "config", "a model this suite does not run: " + SpecValidation.describe(violations));
    }
    return spec;
  }

  /**
   * Writes the checkpoint of a checked import as the one checkpoint (step 0) of the run {@code
   * runId}: to a temporary file, fsynced, then moved into place and put into the bucket, if any.
   */
  public Written write(Checked checked, UUID runId) {
    Path file = checkpointFile(runId);
    Path incoming = file.resolveSibling(".importing-" + UUID.randomUUID());
    try {
      Files.createDirectories(file.getParent());
      MessageDigest sha = sha256();
      try (FileChannel channel =
              FileChannel.open(incoming, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          OutputStream out =
              new DigestOutputStream(
                  new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16), sha)) {
        checked.release().writeCheckpoint(null, null, out);
        out.flush();
        channel.force(true); // on disk before it takes the final name
      }
      long bytes = Files.size(incoming);
      Files.move(incoming, file, StandardCopyOption.ATOMIC_MOVE);
      String hex = HexFormat.of().formatHex(sha.digest());
      String uri =
          objects
              .store()
              .map(
                  o -> {
                    o.put(key(file), file, hex);
                    return o.uri(key(file));
                  })
              .orElse(file.toAbsolutePath().normalize().toUri().toString());
      return new Written(runId, uri, hex, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deleteQuietly(incoming);
    }
  }

  /** Removes what {@link #write} wrote (or began to) for a run that was not recorded. */
  public void remove(UUID runId) {
    Path file = checkpointFile(runId);
    objects.store().ifPresent(o -> o.delete(key(file)));
    deleteQuietly(file);
    deleteQuietly(file.getParent());
    deleteQuietly(file.getParent().getParent());
  }

  /**
   * The file of a recorded checkpoint, to read: a {@code file:} URI into the artifact store, or an
   * {@code s3://} URI of its bucket (this gateway's copy, else one fetched, verified, for the
   * request). A 404 when the store does not hold it.
   */
  public Local local(String uri) {
    Path root = config.artifactDir().toAbsolutePath().normalize();
    Optional<ObjectStore> bucket = objects.store();
    Optional<String> key = bucket.flatMap(o -> o.key(uri));
    Path file;
    if (key.isPresent()) {
      file = root.resolve(key.get()).normalize();
    } else if (uri.startsWith("file:")) {
      try {
        file = Path.of(URI.create(uri)).toAbsolutePath().normalize();
      } catch (IllegalArgumentException e) {
        throw notInStore(uri);
      }
    } else {
      throw notInStore(uri);
    }
    if (!file.startsWith(root)) {
      throw notInStore(uri);
    }
    if (Files.isRegularFile(file)) {
      if (!inside(file, root)) { // a link out of the store
        throw notInStore(uri);
      }
      return new Local(file, false);
    }
    if (key.isEmpty()) {
      throw notInStore(uri);
    }
    Path copy = root.resolve("exports").resolve(UUID.randomUUID() + ".ckpt");
    try {
      bucket.get().get(key.get(), copy);
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        throw notInStore(uri);
      }
      throw e;
    }
    return new Local(copy, true);
  }

  private static boolean inside(Path file, Path root) {
    try {
      return file.toRealPath().startsWith(root.toRealPath());
    } catch (IOException e) {
      return false;
    }
  }

  private static ProblemException notInStore(String uri) {
    return ProblemException.notFound("the artifact store holds no checkpoint file " + uri, null);
  }

  private Path checkpointFile(UUID runId) {
    return config
        .artifactDir()
        .resolve("runs")
        .resolve(runId.toString())
        .resolve("checkpoints")
        .resolve(String.format("step-%08d.ckpt", 0));
  }

  /** A file's key in the bucket: its path in the artifact folder. */
  private String key(Path file) {
    Path root = config.artifactDir().toAbsolutePath().normalize();
    return root.relativize(file.toAbsolutePath().normalize()).toString();
  }

  private static String sha256(Path file) throws IOException {
    MessageDigest sha = sha256();
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // a leftover file or folder that no record names: nothing reads it
    }
  }
}
