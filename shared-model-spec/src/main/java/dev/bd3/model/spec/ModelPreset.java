package dev.bd3.model.spec;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The named model shapes a training job starts from. This is the one definition: the model library
 * builds its configurations from it and the gateway serves it to the dashboard.
 *
 * @param layers transformer layers
 * @param width hidden size D
 * @param heads attention heads (D / heads even, for rotary embeddings)
 * @param mlpRatio feed-forward hidden size over D
 * @param dropout on the residual branches while training
 * @param contextLength L, tokens per training sequence
 * @param blockSize L', tokens generated together by diffusion
 * @param condDim width of the conditioning vector that drives adaLN-Zero
 */
public enum ModelPreset {
  /** For tests: 2 layers of width 32, L = 32. */
  MICRO(2, 32, 2, 4, 0.0, 32, 4, 16),
  /** For CPU training in minutes: 4 layers of width 128 (about 1M parameters), L = 128. */
  CPU(4, 128, 4, 4, 0.0, 128, 4, 64),
  /** The reference's {@code tiny} model: 8 layers, width 256, 8 heads, C = 64, L = 1024. */
  TINY(8, 256, 8, 4, 0.1, 1024, 4, 64),
  /** The reference's {@code small} model (the paper's): 12 layers, width 768, 12 heads. */
  SMALL(12, 768, 12, 4, 0.1, 1024, 4, 128),
  /** The reference's {@code medium} model: 24 layers, width 1024, 16 heads. */
  MEDIUM(24, 1024, 16, 4, 0.1, 1024, 4, 128);

  /** The preset of a training spec that names none. */
  public static final ModelPreset DEFAULT = CPU;

  public final int layers;
  public final int width;
  public final int heads;
  public final int mlpRatio;
  public final double dropout;
  public final int contextLength;
  public final int blockSize;
  public final int condDim;

  ModelPreset(
      int layers,
      int width,
      int heads,
      int mlpRatio,
      double dropout,
      int contextLength,
      int blockSize,
      int condDim) {
    this.layers = layers;
    this.width = width;
    this.heads = heads;
    this.mlpRatio = mlpRatio;
    this.dropout = dropout;
    this.contextLength = contextLength;
    this.blockSize = blockSize;
    this.condDim = condDim;
  }

  /** The name in job specs: {@code micro}, {@code cpu}, {@code tiny}, {@code small}, ... */
  @JsonValue
  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The preset of that name, if there is one. */
  public static Optional<ModelPreset> named(String name) {
    return Arrays.stream(values()).filter(p -> p.json().equals(name)).findFirst();
  }

  /** The preset of that name; an unknown name is an error. */
  public static ModelPreset of(String name) {
    return named(name).orElseThrow(() -> new IllegalArgumentException("unknown preset " + name));
  }
}
