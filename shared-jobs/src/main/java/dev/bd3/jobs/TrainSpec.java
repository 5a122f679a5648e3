package dev.bd3.jobs;

import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A training job. The model is a named preset, optionally overridden field by field. Block size 1
 * trains an autoregressive model, block size = context length an MDLM.
 */
public record TrainSpec(
    @Pattern(regexp = "tiny|cpu|small", message = "must be one of tiny, cpu, small") String preset,
    @Min(1) @Max(48) Integer layers,
    @Min(8) @Max(4096) Integer width,
    @Min(1) @Max(64) Integer heads,
    @Min(2) @Max(8192) Integer contextLength,
    @Min(1) @Max(8192) Integer blockSize,
    @DecimalMin("0.0") @DecimalMax("0.9") Double dropout,
    @Min(1) @Max(10_000_000) Integer steps,
    @Min(1) @Max(4096) Integer batchSize,
    @DecimalMin(value = "0.0", inclusive = false) @DecimalMax("1.0") Double learningRate,
    @Min(0) Integer warmupSteps,
    @DecimalMin("0.0") Double gradClip,
    @DecimalMin("0.0") @DecimalMax("1.0") Double emaDecay,
    @Min(1) Integer checkpointEvery,
    @DecimalMin("0.0") @DecimalMax("1.0") Double noiseMin,
    @DecimalMin("0.0") @DecimalMax("1.0") Double noiseMax,
    Boolean scheduleSearch,
    @Pattern(regexp = "europarl", message = "must be europarl") String corpus,
    Long seed,
    String initFrom)
    implements JobSpec {

  /** The preset a spec without one trains. */
  public static final String DEFAULT_PRESET = "cpu";

  /**
   * Width, heads and context length of each preset, as shared-model's {@code ModelConfig} defines
   * them (a trainer test keeps the two equal), so that the gateway can reject impossible shapes.
   */
  public static final Map<String, List<Integer>> PRESET_SHAPES =
      Map.of(
          "tiny", List.of(32, 2, 32), "cpu", List.of(128, 4, 128), "small", List.of(768, 12, 1024));

  /** Fields whose values cannot make a model together, with why; empty when the shape is sound. */
  public Map<String, String> shapeErrors() {
    List<Integer> preset =
        PRESET_SHAPES.getOrDefault(preset() == null ? DEFAULT_PRESET : preset(), null);
    Map<String, String> errors = new LinkedHashMap<>();
    if (preset == null) {
      return errors; // an unknown preset is reported by its own constraint
    }
    int w = width == null ? preset.get(0) : width;
    int h = heads == null ? preset.get(1) : heads;
    int l = contextLength == null ? preset.get(2) : contextLength;
    if (w % h != 0 || (w / h) % 2 != 0) {
      errors.put(
          heads == null ? "width" : "heads",
          "heads must divide width into even head sizes (width " + w + ", heads " + h + ")");
    }
    if (blockSize != null && l % blockSize != 0) {
      errors.put("blockSize", "must divide the context length " + l);
    }
    return errors;
  }
}
