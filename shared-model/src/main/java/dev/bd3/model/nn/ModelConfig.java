package dev.bd3.model.nn;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.bd3.model.data.Tokenizer;
import dev.bd3.model.spec.ModelPreset;
import dev.bd3.model.spec.TensorLayout;
import dev.bd3.model.spec.Vocabulary;

/**
 * Shape of a BD3-LM. {@code blockSize} L' = 1 is an autoregressive model and L' = {@code
 * contextLength} a masked diffusion model (MDLM); everything between is block diffusion.
 *
 * @param vocabSize ids the model reads, MASK included
 * @param layers transformer layers
 * @param width hidden size D
 * @param heads attention heads H (D / H per head, even for rotary embeddings)
 * @param mlpRatio hidden size of the feed-forward layer over D
 * @param dropout dropout rate on the residual branches while training
 * @param contextLength L, the training sequence length
 * @param blockSize L', tokens generated together by diffusion
 * @param condDim width C of the conditioning vector c that drives adaLN-Zero (the reference's
 *     {@code cond_dim}); 0 for none (its {@code adaln: false}, an ablation for diffusion models)
 * @param causal the reference's autoregressive model: causal attention over clean tokens, each
 *     position predicting the next token, no adaLN (block size 1); otherwise a diffusion model
 *     (BD3-LM or MDLM), whose layers the reference modulates by c
 * @param timeConditioning c embeds the noise level sigma of each sequence; off (the reference's
 *     default for BD3-LM), c embeds sigma = 0, a constant, and the modulation is a learned
 *     per-channel shift, scale and gate
 */
public record ModelConfig(
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
    boolean timeConditioning) {
  /** The reference's {@code cond_dim} for its small and medium models. */
  public static final int COND_DIM = 128;

  public ModelConfig {
    require(vocabSize > 1, "vocabSize must be above 1");
    require(layers >= 1, "layers must be at least 1");
    require(heads >= 1 && width % heads == 0, "heads must divide width");
    require((width / heads) % 2 == 0, "width / heads must be even (rotary embeddings)");
    require(mlpRatio >= 1, "mlpRatio must be at least 1");
    require(dropout >= 0 && dropout < 1, "dropout must lie in [0, 1)");
    require(contextLength >= 2, "contextLength must be at least 2");
    require(
        blockSize >= 1 && contextLength % blockSize == 0, "blockSize must divide contextLength");
    require(condDim >= 0, "condDim must not be negative");
    require(!causal || blockSize == 1, "a causal model has block size 1");
    require(!causal || condDim == 0, "a causal model has no adaLN (condDim 0)");
    require(!timeConditioning || condDim > 0, "time conditioning needs adaLN (condDim > 0)");
  }

  /** A diffusion model of this shape with the reference's conditioning: C = 128, sigma off. */
  public ModelConfig(
      int vocabSize,
      int layers,
      int width,
      int heads,
      int mlpRatio,
      double dropout,
      int contextLength,
      int blockSize) {
    this(
        vocabSize,
        layers,
        width,
        heads,
        mlpRatio,
        dropout,
        contextLength,
        blockSize,
        COND_DIM,
        false,
        false);
  }

  /** For tests: 2 layers of width 32. */
  public static ModelConfig micro() {
    return of(ModelPreset.MICRO);
  }

  /** For CPU training in minutes: 4 layers of width 128 (about 1M parameters), L = 128. */
  public static ModelConfig cpu() {
    return of(ModelPreset.CPU);
  }

  /** The paper's reference "small" model: 12 layers, width 768, 12 heads, L = 1024. */
  public static ModelConfig small() {
    return of(ModelPreset.SMALL);
  }

  /** A named preset ({@code micro}, {@code cpu}, {@code tiny}, {@code small}, {@code medium}). */
  public static ModelConfig preset(String name) {
    return of(ModelPreset.of(name));
  }

  /** The shape of a preset (the job contract defines them) over the byte vocabulary. */
  public static ModelConfig of(ModelPreset p) {
    return of(p, Vocabulary.BYTES);
  }

  /** The shape of a preset over a tokenizer's vocabulary. */
  public static ModelConfig of(ModelPreset p, Vocabulary vocabulary) {
    return new ModelConfig(
        vocabulary.size,
        p.layers,
        p.width,
        p.heads,
        p.mlpRatio,
        p.dropout,
        p.contextLength,
        p.blockSize,
        p.condDim,
        false,
        false);
  }

  /**
   * The tokenizer the model reads: the one whose vocabulary has its size (the reference's GPT-2
   * models have 50,258 ids). A model of another size reads ids only.
   */
  @JsonIgnore
  public Tokenizer tokenizer() {
    return Tokenizer.of(
        Vocabulary.ofSize(vocabSize)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "no tokenizer has " + vocabSize + " ids; this model reads ids only")));
  }

  /** MASK, the last id. */
  @JsonIgnore
  public int mask() {
    return vocabSize - 1;
  }

  public int headSize() {
    return width / heads;
  }

  /** Generates one token at a time: block size 1, diffusion or causal. */
  @JsonIgnore
  public boolean isAutoregressive() {
    return blockSize == 1;
  }

  /** Layers carry adaLN-Zero: the reference's diffusion models do, its causal one does not. */
  @JsonIgnore
  public boolean adaLn() {
    return condDim > 0;
  }

  public ModelConfig withBlockSize(int l) {
    return new ModelConfig(
        vocabSize,
        layers,
        width,
        heads,
        mlpRatio,
        dropout,
        contextLength,
        l,
        condDim,
        causal,
        timeConditioning);
  }

  public ModelConfig withContextLength(int n) {
    return new ModelConfig(
        vocabSize,
        layers,
        width,
        heads,
        mlpRatio,
        dropout,
        n,
        blockSize,
        condDim,
        causal,
        timeConditioning);
  }

  public ModelConfig withCondDim(int c) {
    return new ModelConfig(
        vocabSize,
        layers,
        width,
        heads,
        mlpRatio,
        dropout,
        contextLength,
        blockSize,
        c,
        causal,
        timeConditioning);
  }

  public ModelConfig withVocabSize(int v) {
    return new ModelConfig(
        v,
        layers,
        width,
        heads,
        mlpRatio,
        dropout,
        contextLength,
        blockSize,
        condDim,
        causal,
        timeConditioning);
  }

  /** The reference's causal autoregressive model of this shape. */
  public ModelConfig asCausal() {
    return new ModelConfig(
        vocabSize, layers, width, heads, mlpRatio, dropout, contextLength, 1, 0, true, false);
  }

  /** The model's tensors under the reference's names, in its order. */
  @JsonIgnore
  public TensorLayout layout() {
    return new TensorLayout(vocabSize, layers, width, mlpRatio, condDim);
  }

  /** Parameters of the model built from this configuration. */
  public long parameterCount() {
    return layout().parameters();
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
