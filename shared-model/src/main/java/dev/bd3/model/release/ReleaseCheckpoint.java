package dev.bd3.model.release;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.DeviceCopy;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.spec.release.ReleaseConfig;
import dev.bd3.model.spec.release.ReleaseLayout;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A model in the layout the authors publish theirs in: a folder of {@code config.json} ({@link
 * ReleaseConfig}) and {@code model.safetensors}, whose tensors carry the names of their Hugging
 * Face class: the backbone's {@code state_dict} under {@code backbone.}, plus the clipped noise
 * interval as {@code sampling_eps_min} and {@code sampling_eps_max}. Reading checks every name and
 * shape, so a folder either loads completely or is refused with the first difference.
 */
public final class ReleaseCheckpoint {
  public static final String CONFIG = ReleaseLayout.CONFIG;
  public static final String WEIGHTS = ReleaseLayout.WEIGHTS;
  static final String PREFIX = ReleaseLayout.PREFIX;
  private static final String ROTARY = ReleaseLayout.ROTARY;
  private static final String EPS_MIN = ReleaseLayout.EPS_MIN;
  private static final String EPS_MAX = ReleaseLayout.EPS_MAX;
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final ObjectMapper META =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private ReleaseCheckpoint() {}

  /** A model read from a release folder, with its noise interval and tokenizer (null: unnamed). */
  public record Loaded(Bd3Lm model, ClippedSchedule schedule, String tokenizer) {}

  /** The config of a release folder, read without its weights. */
  public static ReleaseConfig config(Path dir) {
    try {
      return JSON.readValue(dir.resolve(CONFIG).toFile(), ReleaseConfig.class);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + dir.resolve(CONFIG) + ": " + e, e);
    }
  }

  /** Reads a release folder into a model whose arrays live in {@code manager}. */
  public static Loaded read(Path dir, NDManager manager) {
    ReleaseConfig config = config(dir);
    ModelConfig shape = model(config);
    Bd3Lm model = Bd3Lm.create(shape, manager, 0);
    try (NDManager scratch = manager.newSubManager();
        InputStream in = Files.newInputStream(dir.resolve(WEIGHTS))) {
      Map<String, NDArray> tensors = new HashMap<>();
      for (NDArray a : NDList.decode(scratch, in)) {
        tensors.put(a.getName(), a);
      }
      Map<String, Parameter> names = model.referenceNames();
      Set<String> unknown = new TreeSet<>(tensors.keySet());
      unknown.removeAll(Set.of(ROTARY, EPS_MIN, EPS_MAX));
      names.keySet().forEach(n -> unknown.remove(PREFIX + n));
      if (!unknown.isEmpty()) {
        throw new IllegalArgumentException(WEIGHTS + " holds tensors this model lacks: " + unknown);
      }
      for (Map.Entry<String, Parameter> e : names.entrySet()) {
        copy(tensors.get(PREFIX + e.getKey()), e.getKey(), e.getValue().getArray());
      }
      return new Loaded(model, schedule(config, tensors), config.tokenizer());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + dir.resolve(WEIGHTS), e);
    }
  }

  /** Writes a model in the release layout into {@code dir} (created if needed). */
  public static void write(Path dir, Bd3Lm model, ClippedSchedule schedule, String tokenizer) {
    ModelConfig shape = model.config();
    try {
      Files.createDirectories(dir);
      JSON.writeValue(dir.resolve(CONFIG).toFile(), release(shape, schedule, tokenizer));
      NDManager owner = model.referenceNames().values().iterator().next().getArray().getManager();
      try (NDManager scratch = owner.newSubManager();
          OutputStream out = Files.newOutputStream(dir.resolve(WEIGHTS))) {
        NDList tensors = new NDList();
        for (Map.Entry<String, Parameter> e : model.referenceNames().entrySet()) {
          NDArray a = e.getValue().getArray().duplicate();
          a.attach(scratch);
          a.setName(PREFIX + e.getKey());
          tensors.add(a);
        }
        tensors.add(
            named(scratch.create(ReleaseLayout.inverseFrequencies(shape.headSize())), ROTARY));
        tensors.add(named(scratch.create((float) schedule.low()), EPS_MIN));
        tensors.add(named(scratch.create((float) schedule.high()), EPS_MAX));
        tensors.encode(out, NDList.Encoding.SAFETENSORS);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir, e);
    }
  }

  private static void copy(NDArray from, String name, NDArray to) {
    if (from == null) {
      throw new IllegalArgumentException(WEIGHTS + " lacks " + PREFIX + name);
    }
    if (from.getDataType() != DataType.FLOAT32) {
      throw new IllegalArgumentException(
          PREFIX + name + " is " + from.getDataType() + "; only float32 weights are read");
    }
    if (!from.getShape().equals(to.getShape())) {
      throw new IllegalArgumentException(
          PREFIX
              + name
              + " has shape "
              + from.getShape()
              + ", the config implies "
              + to.getShape());
    }
    DeviceCopy.into(from, to);
  }

  /** Our model of a release config's shape. */
  public static ModelConfig model(ReleaseConfig c) {
    return new ModelConfig(
        c.vocabSize(),
        c.nBlocks(),
        c.hiddenDim(),
        c.nHeads(),
        ReleaseConfig.MLP_RATIO,
        c.dropout(),
        c.modelLength(),
        c.effectiveBlockSize(),
        c.effectiveCondDim(),
        c.causal(),
        c.timeConditioning());
  }

  /** The release config of a model and the noise interval it trained with. */
  static ReleaseConfig release(ModelConfig m, ClippedSchedule schedule, String tokenizer) {
    // the shape as a checkpoint's meta.json carries it, where the release layout reads it
    ReleaseLayout.Model shape = META.convertValue(m, ReleaseLayout.Model.class);
    return ReleaseConfig.of(shape, schedule.low(), schedule.high(), tokenizer);
  }

  /** The interval the weights carry, else the config's. */
  private static ClippedSchedule schedule(ReleaseConfig config, Map<String, NDArray> tensors) {
    NDArray low = tensors.get(EPS_MIN);
    NDArray high = tensors.get(EPS_MAX);
    if (low == null || high == null || !config.varMin()) {
      double[] interval = config.interval();
      return new ClippedSchedule(interval[0], interval[1]);
    }
    return new ClippedSchedule(decimal(low), decimal(high));
  }

  /** A float32 scalar as the decimal it was written from (0.45, not 0.44999998807907104). */
  private static double decimal(NDArray scalar) {
    return Double.parseDouble(Float.toString(scalar.toFloatArray()[0]));
  }

  private static NDArray named(NDArray a, String name) {
    a.setName(name);
    return a;
  }
}
