package dev.bd3.model.release;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.nn.ModelConfig;
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

  /** The release config of a model and the noise interval it trained with. */
  public static ReleaseConfig of(ModelConfig m, ClippedSchedule schedule, String tokenizer) {
    if (m.mlpRatio() != MLP_RATIO) {
      throw new IllegalArgumentException(
          "the reference's layers have an MLP of 4 D; this model's is " + m.mlpRatio() + " D");
    }
    return new ReleaseConfig(
        "bd3lm",
        List.of("BD3LM"),
        Map.of(
            "AutoConfig", "configuration_bd3lm.BD3LMConfig",
            "AutoModelForMaskedLM", "modeling_bd3lm.BD3LM"),
        m.blockSize(),
        m.vocabSize(),
        m.contextLength(),
        !m.causal(),
        m.adaLn(),
        "sdpa",
        m.causal(),
        m.width(),
        m.condDim(),
        m.layers(),
        m.heads(),
        m.dropout(),
        m.timeConditioning(),
        true,
        schedule.low(),
        schedule.high(),
        tokenizer);
  }

  /** Our model of this shape; a combination the reference cannot build is an error. */
  public ModelConfig model() {
    if (adaln && causal) {
      throw new IllegalArgumentException("adaln must be false for a causal model");
    }
    if (crossAttn == causal) {
      throw new IllegalArgumentException(
          "cross_attn must be "
              + !causal
              + " for a "
              + (causal ? "causal" : "diffusion")
              + " model");
    }
    return new ModelConfig(
        vocabSize,
        nBlocks,
        hiddenDim,
        nHeads,
        MLP_RATIO,
        dropout,
        modelLength,
        causal ? 1 : blockSize,
        adaln ? condDim : 0,
        causal,
        timeConditioning);
  }

  /** The noise interval, when the model was trained with a clipped one ({@code var_min}). */
  public ClippedSchedule schedule() {
    return varMin ? new ClippedSchedule(samplingEpsMin, samplingEpsMax) : ClippedSchedule.FULL;
  }
}
