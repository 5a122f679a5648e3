package dev.bd3.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.DeviceCopy;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A checkpoint file ({@code step-00000500.ckpt}): a zip of {@code meta.json}, the weights and their
 * EMA as safetensors under the reference's names ({@link dev.bd3.model.spec.TensorLayout}, so that
 * the gateway converts them to and from the release layout without loading them), and the
 * optimiser's moments as an NDList in DJL's encoding. Written to a temporary file and moved into
 * place, so a crash never leaves a half-written checkpoint under the final name.
 */
public final class Checkpoint {
  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private static final Pattern NAME = Pattern.compile("step-(\\d+)\\.ckpt");
  public static final String WEIGHTS = "weights.safetensors";
  public static final String EMA = "ema.safetensors";

  private final CheckpointMeta meta;
  private final NDList weights;
  private final NDList ema;
  private final NDList optimizer;

  private Checkpoint(CheckpointMeta meta, NDList weights, NDList ema, NDList optimizer) {
    this.meta = meta;
    this.weights = weights;
    this.ema = ema;
    this.optimizer = optimizer;
  }

  /** Where a written checkpoint went, with its SHA-256 and size. */
  public record Written(Path path, long step, String sha256, long bytes) {}

  public static Path fileFor(Path dir, long step) {
    return dir.resolve(String.format("step-%08d.ckpt", step));
  }

  /** Writes a checkpoint into {@code dir}; optimizer may be empty (a weights-only export). */
  public static Written save(
      Path dir, CheckpointMeta meta, NDList weights, NDList ema, NDList optimizer) {
    Path target = fileFor(dir, meta.step());
    try {
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, ".writing-", ".tmp");
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      try (FileOutputStream file = new FileOutputStream(tmp.toFile());
          DigestOutputStream digest = new DigestOutputStream(file, sha);
          ZipOutputStream zip = new ZipOutputStream(digest)) {
        zip.putNextEntry(new ZipEntry("meta.json"));
        zip.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(meta));
        List<String> names = List.copyOf(meta.model().layout().tensors().keySet());
        named(zip, WEIGHTS, names, weights);
        named(zip, EMA, names, ema);
        entry(zip, "optimizer.ndlist", optimizer);
        zip.finish();
        file.getChannel().force(true); // on disk before it takes the final name
      }
      long bytes = Files.size(tmp);
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return new Written(target, meta.step(), HexFormat.of().formatHex(sha.digest()), bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write checkpoint " + target, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Arrays in the layout's order as safetensors under its names. */
  private static void named(ZipOutputStream zip, String entry, List<String> names, NDList arrays)
      throws IOException {
    if (arrays.size() != names.size()) {
      throw new IllegalArgumentException(
          "the model holds " + names.size() + " tensors; " + arrays.size() + " were given");
    }
    for (int i = 0; i < names.size(); i++) {
      arrays.get(i).setName(names.get(i));
    }
    zip.putNextEntry(new ZipEntry(entry));
    arrays.encode(zip, NDList.Encoding.SAFETENSORS);
    zip.closeEntry();
  }

  private static void entry(ZipOutputStream zip, String name, NDList arrays) throws IOException {
    if (arrays.isEmpty()) {
      return; // DJL cannot decode an empty list
    }
    zip.putNextEntry(new ZipEntry(name));
    arrays.encode(zip);
    zip.closeEntry();
  }

  /** Reads a checkpoint; its arrays live in {@code manager}. */
  public static Checkpoint read(Path file, NDManager manager) {
    CheckpointMeta meta = null;
    NDList weights = null;
    NDList ema = null;
    NDList optimizer = new NDList();
    try (InputStream in = Files.newInputStream(file);
        ZipInputStream zip = new ZipInputStream(in)) {
      for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
        switch (e.getName()) {
          case "meta.json" -> meta = JSON.readValue(zip.readAllBytes(), CheckpointMeta.class);
          case WEIGHTS -> weights = NDList.decode(manager, zip.readAllBytes());
          case EMA -> ema = NDList.decode(manager, zip.readAllBytes());
          case "optimizer.ndlist" -> optimizer = NDList.decode(manager, zip.readAllBytes());
          default -> {}
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint " + file, e);
    }
    if (meta == null || weights == null || meta.format() != CheckpointMeta.FORMAT) {
      throw new IllegalArgumentException(
          file
              + " is not a bd3 checkpoint of format "
              + CheckpointMeta.FORMAT
              + " (format 1 predates adaLN-Zero: retrain or import)");
    }
    List<String> names = List.copyOf(meta.model().layout().tensors().keySet());
    return new Checkpoint(
        meta, inOrder(weights, names), ema == null ? weights : inOrder(ema, names), optimizer);
  }

  /** The decoded arrays in the layout's order, each present once. */
  private static NDList inOrder(NDList arrays, List<String> names) {
    Map<String, NDArray> byName = new HashMap<>();
    arrays.forEach(a -> byName.put(a.getName(), a));
    NDList out = new NDList(names.size());
    for (String name : names) {
      NDArray a = byName.get(name);
      if (a == null) {
        throw new IllegalArgumentException("the checkpoint lacks " + name);
      }
      out.add(a);
    }
    return out;
  }

  /** A checkpoint's metadata alone (its other entries are not read). */
  public static CheckpointMeta readMeta(Path file) {
    try (InputStream in = Files.newInputStream(file);
        ZipInputStream zip = new ZipInputStream(in)) {
      for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
        if (e.getName().equals("meta.json")) {
          return JSON.readValue(zip.readAllBytes(), CheckpointMeta.class);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint " + file, e);
    }
    throw new IllegalArgumentException(file + " is not a bd3 checkpoint (no meta.json)");
  }

  /** The newest checkpoint file in a folder, if any. */
  public static Optional<Path> newest(Path dir) {
    List<Path> all = all(dir);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** The checkpoint files in a folder, oldest first. */
  public static List<Path> all(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> NAME.matcher(p.getFileName().toString()).matches())
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The step a checkpoint file name carries. */
  public static long stepOf(Path file) {
    Matcher m = NAME.matcher(file.getFileName().toString());
    if (!m.matches()) {
      throw new IllegalArgumentException("not a checkpoint name: " + file);
    }
    return Long.parseLong(m.group(1));
  }

  public CheckpointMeta meta() {
    return meta;
  }

  public NDList weights() {
    return weights;
  }

  public NDList ema() {
    return ema;
  }

  public NDList optimizer() {
    return optimizer;
  }

  /** A model with this checkpoint's EMA weights ({@code useEma}) or raw weights. */
  public Bd3Lm model(NDManager manager, boolean useEma) {
    Bd3Lm model = Bd3Lm.create(meta.model(), manager, meta.seed());
    copyInto(model.parameterList(), useEma ? ema : weights);
    return model;
  }

  /** Copies arrays into parameters of the same order and shapes. */
  public static void copyInto(List<Parameter> parameters, NDList arrays) {
    if (parameters.size() != arrays.size()) {
      throw new IllegalArgumentException(
          "checkpoint holds " + arrays.size() + " arrays, the model " + parameters.size());
    }
    for (int i = 0; i < arrays.size(); i++) {
      Parameter p = parameters.get(i);
      if (!p.getArray().getShape().equals(arrays.get(i).getShape())) {
        throw new IllegalArgumentException("shape mismatch at " + p.getName());
      }
      DeviceCopy.into(arrays.get(i), p.getArray());
    }
  }
}
