package dev.bd3.model.spec.release;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.bd3.model.spec.TensorLayout;
import dev.bd3.model.spec.Vocabulary;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Converts between our checkpoint files and the authors' release layout, byte for byte and without
 * a tensor library, so that the gateway imports and exports models of any size as streams.
 *
 * <p>Our checkpoint ({@code step-00000500.ckpt}, shared-model's {@code Checkpoint}) is a zip of
 * {@code meta.json} ({@link Meta}), {@code weights.safetensors} and {@code ema.safetensors} (the
 * tensors of the model's {@link TensorLayout}, under their names, in its order) and the optimiser's
 * state. The release layout is a folder of {@code config.json} ({@link ReleaseConfig}) and {@code
 * model.safetensors}: the same tensors under {@code backbone.}, the rotary buffer {@code
 * backbone.rotary_emb.inv_freq}, and the clipped noise interval as the scalars {@code
 * sampling_eps_min} and {@code sampling_eps_max}. shared-model's {@code ReleaseCheckpoint} reads
 * and writes the same layout into a model.
 */
public final class ReleaseLayout {
  public static final String CONFIG = "config.json";
  public static final String WEIGHTS = "model.safetensors";
  public static final String PREFIX = "backbone.";
  public static final String ROTARY = PREFIX + "rotary_emb.inv_freq";
  public static final String EPS_MIN = "sampling_eps_min";
  public static final String EPS_MAX = "sampling_eps_max";

  /** The entries of our checkpoint file that a release needs. */
  public static final String META = "meta.json";

  public static final String CHECKPOINT_WEIGHTS = "weights.safetensors";
  public static final String CHECKPOINT_EMA = "ema.safetensors";

  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private static final ObjectWriter PRETTY = JSON.writerWithDefaultPrettyPrinter();

  private ReleaseLayout() {}

  /**
   * A checkpoint's {@code meta.json}: field for field what Jackson writes for shared-model's {@code
   * CheckpointMeta} (a test there keeps the two equal), which the workers read back.
   */
  public record Meta(
      int format,
      long step,
      Model model,
      Schedule schedule,
      long seed,
      long optimizerUpdates,
      long emaUpdates,
      String corpus,
      String corpusSha256,
      Map<String, Double> metrics) {
    /** The format whose weights are safetensors under the reference's names. */
    public static final int FORMAT = 2;
  }

  /** shared-model's {@code ModelConfig} in {@link Meta}: the model's shape. */
  public record Model(
      int vocabSize,
      int layers,
      int width,
      int heads,
      int mlpRatio,
      double dropout,
      int contextLength,
      int blockSize,
      int condDim,
      boolean causal,
      boolean timeConditioning) {}

  /** shared-model's {@code ClippedSchedule} in {@link Meta}: the noise interval [low, high]. */
  public record Schedule(double low, double high) {}

  /** Reads a {@code config.json}; one that the reference could not build is refused. */
  public static ReleaseConfig config(byte[] json) {
    ReleaseConfig config;
    try {
      config = JSON.readValue(json, ReleaseConfig.class);
    } catch (JsonProcessingException e) {
      if (e.getCause() instanceof IllegalArgumentException invalid) {
        throw invalid; // the record's own checks, which Jackson wraps
      }
      throw new IllegalArgumentException(CONFIG + ": not a config: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (config == null) {
      throw new IllegalArgumentException(CONFIG + ": not a config: null");
    }
    return config;
  }

  /**
   * A release's weights checked against its config: every tensor of the config's layout under
   * {@code backbone.}, float32 and of the layout's shape, and nothing else but the rotary buffer
   * (which depends on the head size alone, and is not read) and the noise interval's scalars.
   *
   * @param header the header of {@code weights}
   * @param tensors the layout's tensors in {@code weights}, in the layout's order
   * @param low the noise interval the model trained with: the scalars when the config says it was
   *     clipped ({@code var_min}), else the config's
   * @param high its high end
   */
  public record Release(
      ReleaseConfig config,
      Path weights,
      Safetensors.Header header,
      List<Safetensors.Tensor> tensors,
      double low,
      double high) {

    /** Our model of this config: the reference's MLP is 4 D wide. */
    public Model model() {
      return new Model(
          config.vocabSize(),
          config.nBlocks(),
          config.hiddenDim(),
          config.nHeads(),
          ReleaseConfig.MLP_RATIO,
          config.dropout(),
          config.modelLength(),
          config.effectiveBlockSize(),
          config.effectiveCondDim(),
          config.causal(),
          config.timeConditioning());
    }

    /**
     * Writes our checkpoint of this release to {@code out} (left open): step 0, the weights as both
     * the weights and their moving average, no optimiser state (a model to evaluate, sample or
     * start from, not to resume), {@code corpus} and its sha256 as the text it was trained on
     * (either may be null: unknown).
     */
    public void writeCheckpoint(String corpus, String corpusSha256, OutputStream out)
        throws IOException {
      Meta meta =
          new Meta(
              Meta.FORMAT,
              0,
              model(),
              new Schedule(low, high),
              0,
              0,
              0,
              corpus,
              corpusSha256,
              Map.of());
      try (FileChannel file = FileChannel.open(weights, StandardOpenOption.READ)) {
        List<Safetensors.Entry> entries = new ArrayList<>();
        for (Safetensors.Tensor t : tensors) {
          entries.add(header.copied(file, t, t.name().substring(PREFIX.length())));
        }
        ZipOutputStream zip = storing(out); // finished, not closed: out is the caller's
        zip.putNextEntry(new ZipEntry(META));
        zip.write(PRETTY.writeValueAsBytes(meta));
        for (String entry : List.of(CHECKPOINT_WEIGHTS, CHECKPOINT_EMA)) {
          zip.putNextEntry(new ZipEntry(entry));
          Safetensors.write(zip, entries);
          zip.closeEntry();
        }
        zip.finish();
      }
    }
  }

  /**
   * Checks a release's {@code model.safetensors} against its config, reading its header and the
   * noise interval's two scalars only; an IllegalArgumentException names the first tensor at fault.
   */
  public static Release check(ReleaseConfig config, Path weights) throws IOException {
    Safetensors.Header header = Safetensors.read(weights);
    List<Safetensors.Tensor> tensors = inLayout(config.layout(), header, PREFIX, WEIGHTS);
    Set<String> unknown = new TreeSet<>(header.tensors().keySet());
    config.layout().tensors().keySet().forEach(name -> unknown.remove(PREFIX + name));
    unknown.removeAll(Set.of(ROTARY, EPS_MIN, EPS_MAX));
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(
          WEIGHTS + " holds tensors that the config has no place for: " + unknown);
    }
    Safetensors.Tensor low = header.tensors().get(EPS_MIN);
    Safetensors.Tensor high = header.tensors().get(EPS_MAX);
    double[] interval =
        low != null && high != null && config.varMin()
            ? new double[] {scalar(weights, header, low), scalar(weights, header, high)}
            : config.interval();
    if (!(interval[0] > 0 && interval[0] <= interval[1] && interval[1] <= 1)) {
      throw new IllegalArgumentException(
          "the noise interval "
              + Arrays.toString(interval)
              + " ("
              + EPS_MIN
              + ", "
              + EPS_MAX
              + ") must satisfy 0 < low <= high <= 1");
    }
    return new Release(config, weights, header, tensors, interval[0], interval[1]);
  }

  /** A float32 scalar of the file, as the decimal it was written from (0.45, not 0.4499999881). */
  private static double scalar(Path file, Safetensors.Header header, Safetensors.Tensor t)
      throws IOException {
    if (!t.dtype().equals(Safetensors.F32) || t.bytes() != Float.BYTES) {
      throw new IllegalArgumentException(
          t.name() + " must be one F32 number; it is " + t.dtype() + " " + t.shapeText());
    }
    ByteBuffer value = ByteBuffer.allocate(Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      in.read(value, header.dataStart() + t.begin());
    }
    return Double.parseDouble(Float.toString(value.getFloat(0)));
  }

  /**
   * The tensors of {@code layout} in {@code header}, in the layout's order: each under {@code
   * prefix} and its name, float32, of its shape. Tensors beyond the layout's are the caller's.
   */
  private static List<Safetensors.Tensor> inLayout(
      TensorLayout layout, Safetensors.Header header, String prefix, String file) {
    List<Safetensors.Tensor> found = new ArrayList<>();
    for (Map.Entry<String, long[]> e : layout.tensors().entrySet()) {
      String name = prefix + e.getKey();
      Safetensors.Tensor t = header.tensors().get(name);
      if (t == null) {
        throw new IllegalArgumentException(file + " lacks " + name);
      }
      if (!t.dtype().equals(Safetensors.F32)) {
        throw new IllegalArgumentException(
            name + " is " + t.dtype() + "; only F32 weights are read");
      }
      if (!Arrays.equals(t.shape(), e.getValue())) {
        throw new IllegalArgumentException(
            name
                + " has shape "
                + t.shapeText()
                + "; the config implies "
                + Arrays.toString(e.getValue()));
      }
      found.add(t);
    }
    return found;
  }

  /**
   * A checkpoint file of ours, read as far as its release needs and checked: {@link #writeTo} then
   * copies it, so that a checkpoint that cannot be exported is refused before anything is sent.
   *
   * @param entry the safetensors entry exported: the moving average, else the weights
   * @param tensors its tensors, in the order of their data
   */
  public record Export(
      Path checkpoint,
      ReleaseConfig config,
      String entry,
      Safetensors.Header header,
      List<Safetensors.Tensor> tensors) {

    /**
     * Writes the release, a zip of {@code config.json} and {@code model.safetensors}, to {@code
     * out} (left open), copying the tensors as they come in the checkpoint.
     */
    public void writeTo(OutputStream out) throws IOException {
      try (ZipFile zip = new ZipFile(checkpoint.toFile());
          InputStream in = zip.getInputStream(zip.getEntry(entry))) {
        in.skipNBytes(header.dataStart());
        Sequential data = new Sequential(in);
        List<Safetensors.Entry> entries = new ArrayList<>();
        for (Safetensors.Tensor t : tensors) {
          entries.add(
              new Safetensors.Entry(PREFIX + t.name(), t.dtype(), t.shape(), o -> data.copy(t, o)));
        }
        int headSize = config.hiddenDim() / config.nHeads();
        entries.add(
            Safetensors.f32(ROTARY, new long[] {headSize / 2}, inverseFrequencies(headSize)));
        entries.add(Safetensors.f32(EPS_MIN, new long[0], (float) config.samplingEpsMin()));
        entries.add(Safetensors.f32(EPS_MAX, new long[0], (float) config.samplingEpsMax()));
        ZipOutputStream release = storing(out); // finished, not closed: out is the caller's
        release.putNextEntry(new ZipEntry(CONFIG));
        release.write(PRETTY.writeValueAsBytes(config));
        release.putNextEntry(new ZipEntry(WEIGHTS));
        Safetensors.write(release, entries);
        release.finish();
      }
    }
  }

  /**
   * Reads our checkpoint file's metadata and the header of its moving average (else its weights)
   * and checks them: a format-2 checkpoint of a model with the reference's MLP, holding its
   * layout's tensors, float32.
   */
  public static Export export(Path checkpoint) throws IOException {
    try (ZipFile zip = new ZipFile(checkpoint.toFile())) {
      ZipEntry metaEntry = zip.getEntry(META);
      ZipEntry tensors = zip.getEntry(CHECKPOINT_EMA);
      if (tensors == null) { // as shared-model's Checkpoint reads one: the weights are their EMA
        tensors = zip.getEntry(CHECKPOINT_WEIGHTS);
      }
      if (metaEntry == null || tensors == null) {
        throw new IllegalArgumentException(
            checkpoint + " is not a checkpoint of format " + Meta.FORMAT);
      }
      Meta meta;
      try (InputStream in = zip.getInputStream(metaEntry)) {
        meta = JSON.readValue(in, Meta.class);
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException(checkpoint + ": unreadable " + META, e);
      }
      if (meta.format() != Meta.FORMAT || meta.model() == null || meta.schedule() == null) {
        throw new IllegalArgumentException(
            checkpoint + " is a checkpoint of format " + meta.format() + ", not " + Meta.FORMAT);
      }
      ReleaseConfig config =
          ReleaseConfig.of(
              meta.model(),
              meta.schedule().low(),
              meta.schedule().high(),
              Vocabulary.ofSize(meta.model().vocabSize()).map(Vocabulary::json).orElse(null));
      Safetensors.Header header;
      try (InputStream in = zip.getInputStream(tensors)) {
        header = Safetensors.read(in, tensors.getSize());
      }
      List<Safetensors.Tensor> inLayout = inLayout(config.layout(), header, "", tensors.getName());
      if (inLayout.size() != header.tensors().size()) {
        throw new IllegalArgumentException(
            tensors.getName() + " holds tensors that its model has no place for");
      }
      List<Safetensors.Tensor> inDataOrder =
          inLayout.stream().sorted(Comparator.comparingLong(Safetensors.Tensor::begin)).toList();
      return new Export(checkpoint, config, tensors.getName(), header, inDataOrder);
    }
  }

  /**
   * The reference's rotary buffer for heads of {@code headSize}: 10000^(-2i / hd) for i < hd / 2.
   */
  public static float[] inverseFrequencies(int headSize) {
    float[] f = new float[headSize / 2];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) (1 / Math.pow(10_000, 2.0 * i / headSize));
    }
    return f;
  }

  /**
   * A zip that stores rather than deflates: weights hardly compress, and deflating a model of
   * hundreds of megabytes would take a minute of a request.
   */
  private static ZipOutputStream storing(OutputStream out) {
    ZipOutputStream zip = new ZipOutputStream(out);
    zip.setLevel(Deflater.NO_COMPRESSION);
    return zip;
  }

  /**
   * Copies a safetensors stream's tensors in the order of their data, skipping what lies between.
   */
  private static final class Sequential {
    private final InputStream in;
    private long position;

    Sequential(InputStream in) {
      this.in = in;
    }

    void copy(Safetensors.Tensor t, OutputStream out) throws IOException {
      in.skipNBytes(t.begin() - position);
      Safetensors.copy(in, t.bytes(), out);
      position = t.end();
    }
  }
}
