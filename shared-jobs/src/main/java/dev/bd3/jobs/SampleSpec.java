package dev.bd3.jobs;

import static java.util.Objects.requireNonNullElse;

import dev.bd3.model.spec.SamplerRule;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A generation job: block by block with a KV cache, stopping at EOS or a maximum length. */
public record SampleSpec(
    @Schema(description = "the training run whose checkpoint generates") @Size(max = 64)
        String trainRunId,
    @Schema(description = "that run's checkpoint at this step; default its newest") @Min(0)
        Long checkpointStep,
    @Schema(description = "or a checkpoint URI the gateway has recorded") @Size(max = 2048)
        String checkpoint,
    @Schema(description = "samples generated together") @Min(1) @Max(64) Integer numSamples,
    @Schema(
            description =
                "stop a sample after this many tokens (of its model's tokenizer), prompt excluded")
        @Min(1)
        @Max(131_072)
        Integer maxTokens,
    @Schema(description = "denoising rule inside a block")
        @Pattern(regexp = SamplerRule.NAMES, message = "must be one of " + SamplerRule.NAMES)
        String sampler,
    @Schema(description = "ddpm: denoising steps T per block")
        @DerivedDefault("L'")
        @Min(1)
        @Max(4096)
        Integer steps,
    @Schema(description = "nucleus filtering of p_theta (1 = none)")
        @DecimalMin(value = "0.0", inclusive = false)
        @DecimalMax("1.0")
        Double topP,
    @Schema(
            description =
                "divides the logits before p_theta is taken (1 = as trained, 0 = the most likely"
                    + " token)")
        @DecimalMin("0.0")
        @DecimalMax("10.0")
        Double temperature,
    @Schema(description = "parallel: tokens committed per step")
        @DerivedDefault("max(1, L' / 4)")
        @Min(1)
        @Max(8192)
        Integer tokensPerStep,
    @Schema(
            description =
                "threshold: each step commits every masked position whose most likely token has at"
                    + " least this probability, and at least the most confident one (Fast-dLLM's"
                    + " rule)")
        @DecimalMin(value = "0.0", inclusive = false)
        @DecimalMax("1.0")
        Double confidence,
    @Schema(description = "text the samples continue")
        @Size(max = 4096)
        @Pattern(regexp = "[^\\x00]*", message = "must not contain NUL")
        String prompt,
    @Schema(description = "stop a sample at its first end-of-sequence token") Boolean stopOnEos,
    @Schema(
            description =
                "stop when the unigram entropy (nats) of the last 256 tokens falls below"
                    + " this (degenerate text); 0 = never")
        @DecimalMin("0.0")
        @DecimalMax("100.0")
        Double entropyThreshold,
    @Schema(
            description =
                "mask the bytes that would make the text invalid UTF-8, so that it decodes"
                    + " without replacement characters")
        Boolean validUtf8,
    @Schema(description = "generate with the moving average of the weights") Boolean useEma,
    @Schema(description = "seed of the draws") Long seed)
    implements JobSpec, CheckpointRef {

  /**
   * This spec with every default filled in for a model of block size {@code blockSize} (the
   * checkpoint references stay as given). The entropy floor is 1.5 nats: bytes of natural text have
   * a unigram entropy near 3 nats (the paper's 4 nats is for GPT-2 tokens).
   */
  public SampleSpec resolved(int blockSize) {
    return new SampleSpec(
        trainRunId,
        checkpointStep,
        checkpoint,
        requireNonNullElse(numSamples, 1),
        requireNonNullElse(maxTokens, 256),
        requireNonNullElse(sampler, SamplerRule.DDPM.json()),
        requireNonNullElse(steps, blockSize),
        requireNonNullElse(topP, 0.9),
        requireNonNullElse(temperature, 1.0),
        requireNonNullElse(tokensPerStep, Math.max(1, blockSize / 4)),
        requireNonNullElse(confidence, 0.9),
        requireNonNullElse(prompt, ""),
        requireNonNullElse(stopOnEos, true),
        requireNonNullElse(entropyThreshold, 1.5),
        requireNonNullElse(validUtf8, true),
        requireNonNullElse(useEma, true),
        requireNonNullElse(seed, 0L));
  }

  /** The same job reading this checkpoint (as the gateway resolved it). */
  public SampleSpec reading(String checkpointUri) {
    return new SampleSpec(
        trainRunId,
        checkpointStep,
        checkpointUri,
        numSamples,
        maxTokens,
        sampler,
        steps,
        topP,
        temperature,
        tokensPerStep,
        confidence,
        prompt,
        stopOnEos,
        entropyThreshold,
        validUtf8,
        useEma,
        seed);
  }

  @Override
  public long memory(TrainSpec model) {
    return ResourceEstimate.samplingMemory(this, model);
  }

  @Override
  public double work(TrainSpec model) {
    return ResourceEstimate.samplingWork(this, model);
  }

  /** Every field is checked on its own. */
  @Override
  public List<SpecViolation> crossFieldViolations() {
    // a lone surrogate (JSON's "\ud800") is no character: no tokenizer could encode it
    if (prompt != null && hasLoneSurrogate(prompt)) {
      return List.of(new SpecViolation("prompt", "must be valid Unicode text (a lone surrogate)"));
    }
    return List.of();
  }

  private static boolean hasLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }
}
