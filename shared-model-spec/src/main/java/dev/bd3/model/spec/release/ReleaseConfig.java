package dev.bd3.model.spec.release;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.bd3.model.spec.TensorLayout;
import java.util.List;
import java.util.Map;

/**
 * The {@code config.json} of the authors' release layout: the fields of their Hugging Face {@code
 * BD3LMConfig}, plus the tokenizer's name, which theirs leaves to the model card. Fields it does
 * not know are ignored, as Hugging Face does.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ReleaseConfig(
    @JsonProperty("model_type") String modelType,
    @JsonProperty("architectures") List<String> architectures,
    @JsonProperty("auto_map") Map<String, String> autoMap,
    @JsonProperty("block_size") int blockSize,
    @JsonProperty("vocab_size") int vocabSize,
    @JsonProperty("model_length") int modelLength,
    @JsonProperty("cross_attn") boolean crossAttn,
    @JsonProperty("adaln") boolean adaln,
    @JsonProperty("attn_backend") String attnBackend,
    @JsonProperty("causal") boolean causal,
    @JsonProperty("hidden_dim") int hiddenDim,
    @JsonProperty("cond_dim") int condDim,
    @JsonProperty("n_blocks") int nBlocks,
    @JsonProperty("n_heads") int nHeads,
    @JsonProperty("dropout") double dropout,
    @JsonProperty("time_conditioning") boolean timeConditioning,
    @JsonProperty("var_min") boolean varMin,
    @JsonProperty("sampling_eps_min") double samplingEpsMin,
    @JsonProperty("sampling_eps_max") double samplingEpsMax,
    @JsonProperty("tokenizer") String tokenizer) {

  /** The reference's MLP is always 4 D wide. */
  public static final int MLP_RATIO = 4;

  /**
   * The release config of a model: its shape, the noise interval [low, high] it trained with and
   * its tokenizer's name. The reference's MLP is always 4 D wide: another is refused.
   */
  public static ReleaseConfig of(
      ReleaseLayout.Model model, double low, double high, String tokenizer) {
    if (model.mlpRatio() != MLP_RATIO) {
      throw new IllegalArgumentException(
          "the reference's MLP is 4 D wide; this model's is " + model.mlpRatio() + " D");
    }
    return new ReleaseConfig(
        "bd3lm",
        List.of("BD3LM"),
        Map.of(
            "AutoConfig", "configuration_bd3lm.BD3LMConfig",
            "AutoModelForMaskedLM", "modeling_bd3lm.BD3LM"),
        model.blockSize(),
        model.vocabSize(),
        model.contextLength(),
        !model.causal(),
        model.condDim() > 0,
        "sdpa",
        model.causal(),
        model.width(),
        model.condDim(),
        model.layers(),
        model.heads(),
        model.dropout(),
        model.timeConditioning(),
        true,
        low,
        high,
        tokenizer);
  }

  /** The checks the reference's constructor implies; a combination it cannot build is an error. */
  public ReleaseConfig {
    require(vocabSize >= 2, "vocab_size must be at least 2");
    require(nBlocks >= 1, "n_blocks must be at least 1");
    require(
        nHeads >= 1 && hiddenDim % nHeads == 0 && (hiddenDim / nHeads) % 2 == 0,
        "n_heads must divide hidden_dim into even head sizes");
    require(modelLength >= 2, "model_length must be at least 2");
    require(
        causal || (blockSize >= 1 && modelLength % blockSize == 0),
        "block_size must divide model_length");
    require(!(adaln && causal), "adaln must be false for a causal model");
    require(crossAttn != causal, "cross_attn must be " + !causal + " for this model");
    require(!adaln || condDim >= 1, "cond_dim must be at least 1 with adaln");
    require(!timeConditioning || adaln, "time_conditioning needs adaln");
    require(dropout >= 0 && dropout < 1, "dropout must lie in [0, 1)");
  }

  /** Block size L': 1 for the causal model. */
  @JsonIgnore
  public int effectiveBlockSize() {
    return causal ? 1 : blockSize;
  }

  /** Width of adaLN's conditioning vector, 0 without adaLN. */
  @JsonIgnore
  public int effectiveCondDim() {
    return adaln ? condDim : 0;
  }

  /** The tensors a checkpoint of this config holds. */
  @JsonIgnore
  public TensorLayout layout() {
    return new TensorLayout(vocabSize, nBlocks, hiddenDim, MLP_RATIO, effectiveCondDim());
  }

  /**
   * The noise interval [low, high], when the model was trained with a clipped one ({@code
   * var_min}).
   */
  @JsonIgnore
  public double[] interval() {
    return varMin ? new double[] {samplingEpsMin, samplingEpsMax} : new double[] {1e-3, 1};
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("config.json: " + message);
    }
  }
}
