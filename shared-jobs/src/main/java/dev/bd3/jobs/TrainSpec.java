package dev.bd3.jobs;

import static java.util.Objects.requireNonNullElse;

import dev.bd3.model.spec.CorpusText;
import dev.bd3.model.spec.ModelPreset;
import dev.bd3.model.spec.Vocabulary;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A training job. The model is a named {@link ModelPreset}, optionally overridden field by field.
 * Block size 1 trains block diffusion's autoregressive limit ({@code causal}: the reference's own
 * AR model), block size = context length an MDLM. The defaults are a recipe that learns in minutes
 * on a CPU (the paper's is lr 3e-4 with 2,500 warm-up steps).
 */
public record TrainSpec(
    @Schema(
            description =
                "model preset: its shape is in the presets table (docs/job-specs.md, GET /api/v1/catalog); the"
                    + " fields up to causal override it")
        String preset,
    @Schema(description = "transformer layers") @DerivedDefault(PRESET) @Min(1) @Max(48)
        Integer layers,
    @Schema(description = "hidden size") @DerivedDefault(PRESET) @Min(8) @Max(4096) Integer width,
    @Schema(description = "attention heads; must divide width into even head sizes")
        @DerivedDefault(PRESET)
        @Min(1)
        @Max(64)
        Integer heads,
    @Schema(description = "L, tokens per training sequence")
        @DerivedDefault(PRESET)
        @Min(2)
        @Max(8192)
        Integer contextLength,
    @Schema(description = "L', tokens per block; divides L; 1 = autoregressive, L = MDLM")
        @DerivedDefault(PRESET)
        @Min(1)
        @Max(8192)
        Integer blockSize,
    @Schema(
            description =
                "dropout on the residual branches (the reference: 0.1; the CPU presets none, as"
                    + " their short runs do not overfit)")
        @DerivedDefault(PRESET)
        @DecimalMin("0.0")
        @DecimalMax("0.9")
        Double dropout,
    @Schema(
            description =
                "C, width of the conditioning vector that drives adaLN-Zero (the reference's"
                    + " cond_dim); 0 leaves adaLN out (its adaln: false)")
        @DerivedDefault("the preset's; 0 for a causal model")
        @Min(0)
        @Max(4096)
        Integer condDim,
    @Schema(
            description =
                "the reference's autoregressive model (its backbone ar): causal attention,"
                    + " next-token targets, no adaLN; needs blockSize 1. Block size 1 without it is"
                    + " block diffusion's AR limit")
        Boolean causal,
    @Schema(
            description =
                "tokenizer, part of the model: bytes (UTF-8 bytes, 260 ids) or gpt2 (GPT-2's BPE,"
                    + " the paper's for OpenWebText, 50,258 ids)")
        @Pattern(regexp = Vocabulary.PATTERN, message = "must be bytes or gpt2")
        String tokenizer,
    @Schema(description = "optimiser steps") @Min(1) @Max(10_000_000) Integer steps,
    @Schema(
            description =
                "sequences per step (the reference: 512 of 1,024 tokens, for GPUs; 16 fits a CPU)")
        @Min(1)
        @Max(4096)
        Integer batchSize,
    @Schema(
            description =
                "AdamW learning rate after warm-up (the reference: 3e-4; 1e-3 learns a small model"
                    + " in minutes)")
        @DecimalMin(value = "0.0", inclusive = false)
        @DecimalMax("1.0")
        Double learningRate,
    @Schema(
            description =
                "linear warm-up steps, the first at rate 0 as the reference's (its 2,500 would"
                    + " outlast a CPU run)")
        @DerivedDefault("min(50, steps / 10)")
        @Min(0)
        @Max(10_000_000)
        Integer warmupSteps,
    @Schema(description = "clip the gradients to this global norm; 0 = no clipping")
        @DecimalMin("0.0")
        @DecimalMax("1000.0")
        Double gradClip,
    @Schema(description = "decay of the weights' moving average (warmed up: min(d, (1+n)/(10+n)))")
        @DecimalMin("0.0")
        @DecimalMax(value = "1.0", inclusive = false)
        Double emaDecay,
    @Schema(description = "steps between checkpoints")
        @DerivedDefault("max(1, min(500, steps / 3))")
        @Min(1)
        @Max(10_000_000)
        Integer checkpointEvery,
    @Schema(description = "low end of the clipped noise interval [noiseMin, noiseMax]")
        @DecimalMin(value = "0.0", inclusive = false)
        @DecimalMax("1.0")
        Double noiseMin,
    @Schema(description = "high end of the clipped noise interval")
        @DecimalMin(value = "0.0", inclusive = false)
        @DecimalMax("1.0")
        Double noiseMax,
    @Schema(description = "choose the interval from data at every checkpoint (the paper's search)")
        Boolean scheduleSearch,
    @Schema(
            description =
                "redraw a block's mask until its masked fraction lies in the noise interval (the"
                    + " reference's training.resample)")
        @DerivedDefault(
            "1 < blockSize < contextLength (as the reference: on for BD3, off for AR, MDLM)")
        Boolean resample,
    @Schema(
            description =
                "training text: europarl (bundled) or the id of a dataset uploaded to POST"
                    + " /api/v1/datasets")
        @Pattern(
            regexp = CorpusText.BUNDLED + "|" + DATASET_ID,
            message = "must be europarl or the id of an uploaded dataset")
        String corpus,
    @Schema(
            description =
                "sha256 of the corpus's text: the gateway fills it in from the dataset's record, and"
                    + " a worker refuses text that differs; given, it must match (a pin)")
        @Pattern(regexp = "[0-9a-f]{64}", message = "must be 64 lowercase hex digits")
        String corpusSha256,
    @Schema(description = "seed of every random draw (weights, batches, noise)") Long seed,
    @Schema(
            description =
                "start from the weights of this checkpoint URI (same shape), e.g. MDLM"
                    + " pre-training; none by default")
        @Size(max = 2048)
        String initFrom)
    implements JobSpec {

  /** An uploaded dataset's id, as {@code corpus} names it. */
  public static final String DATASET_ID =
      "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

  /** How the shape fields' defaults are derived. */
  static final String PRESET = "the preset's";

  /**
   * This spec with every default filled in: what a worker runs (only initFrom and corpusSha256 may
   * stay null). The defaults learn in minutes on a CPU; the paper's recipe is lr 3e-4 with 2,500
   * warm-up steps.
   */
  public TrainSpec resolved() {
    ModelPreset p = presetOrDefault();
    int n = requireNonNullElse(steps, 300);
    return new TrainSpec(
        p.json(),
        requireNonNullElse(layers, p.layers),
        requireNonNullElse(width, p.width),
        requireNonNullElse(heads, p.heads),
        requireNonNullElse(contextLength, p.contextLength),
        requireNonNullElse(blockSize, p.blockSize),
        requireNonNullElse(dropout, p.dropout),
        requireNonNullElse(condDim, isCausal() ? 0 : p.condDim),
        isCausal(),
        requireNonNullElse(tokenizer, Vocabulary.DEFAULT.json()),
        n,
        requireNonNullElse(batchSize, 16),
        requireNonNullElse(learningRate, 1e-3),
        requireNonNullElse(warmupSteps, Math.min(50, n / 10)),
        requireNonNullElse(gradClip, 1.0),
        requireNonNullElse(emaDecay, 0.9999),
        requireNonNullElse(checkpointEvery, Math.max(1, Math.min(500, n / 3))),
        requireNonNullElse(noiseMin, 1e-3),
        requireNonNullElse(noiseMax, 1.0),
        requireNonNullElse(scheduleSearch, false),
        requireNonNullElse(resample, resampleByDefault(p)),
        requireNonNullElse(corpus, CorpusText.BUNDLED),
        corpusSha256,
        requireNonNullElse(seed, 0L),
        initFrom);
  }

  /** True for the reference's causal autoregressive model. */
  public boolean isCausal() {
    return Boolean.TRUE.equals(causal);
  }

  /** The reference resamples block diffusion's masks, not MDLM's or AR's. */
  private boolean resampleByDefault(ModelPreset p) {
    int l = requireNonNullElse(contextLength, p.contextLength);
    int block = requireNonNullElse(blockSize, p.blockSize);
    return block > 1 && block < l;
  }

  /** True when the corpus is an uploaded dataset rather than the bundled text. */
  public boolean readsDataset() {
    return corpus != null && !CorpusText.BUNDLED.equals(corpus);
  }

  /** This spec reading the corpus whose text has {@code sha256} (the gateway's record of it). */
  public TrainSpec withCorpusSha256(String sha256) {
    return new TrainSpec(
        preset,
        layers,
        width,
        heads,
        contextLength,
        blockSize,
        dropout,
        condDim,
        causal,
        tokenizer,
        steps,
        batchSize,
        learningRate,
        warmupSteps,
        gradClip,
        emaDecay,
        checkpointEvery,
        noiseMin,
        noiseMax,
        scheduleSearch,
        resample,
        corpus,
        sha256,
        seed,
        initFrom);
  }

  /** True when this spec's model has the same weights' shapes as {@code other}'s. */
  public boolean sameWeightShapes(TrainSpec other) {
    TrainSpec a = resolved();
    TrainSpec b = other.resolved();
    return a.layers.equals(b.layers)
        && a.width.equals(b.width)
        && a.heads.equals(b.heads)
        && a.tokenizer.equals(b.tokenizer)
        && a.condDim.equals(b.condDim)
        && a.causal.equals(b.causal);
  }

  /** The tokenizer's vocabulary. */
  public Vocabulary vocabulary() {
    return Vocabulary.of(requireNonNullElse(tokenizer, Vocabulary.DEFAULT.json()));
  }

  /** A training job's model is itself: {@code model} is ignored. */
  @Override
  public long memory(TrainSpec model) {
    return ResourceEstimate.trainingMemory(this);
  }

  @Override
  public double work(TrainSpec model) {
    return ResourceEstimate.trainingWork(this);
  }

  /**
   * The preset must exist; heads must divide width into even head sizes; the block size must divide
   * the context length; a causal model has block size 1 and no adaLN; the noise interval must not
   * be empty. A rule over a field the user left out names the field the user gave.
   */
  @Override
  public List<SpecViolation> crossFieldViolations() {
    List<SpecViolation> violations = new ArrayList<>();
    if (preset != null && ModelPreset.named(preset).isEmpty()) {
      String names =
          Arrays.stream(ModelPreset.values())
              .map(ModelPreset::json)
              .collect(Collectors.joining(", "));
      violations.add(new SpecViolation("preset", "must be one of " + names));
      return violations; // the other rules need the preset's shape
    }
    TrainSpec r = resolved();
    if (r.width % r.heads != 0 || (r.width / r.heads) % 2 != 0) {
      violations.add(
          new SpecViolation(
              heads == null ? "width" : "heads",
              "heads must divide width into even head sizes (width "
                  + r.width
                  + ", heads "
                  + r.heads
                  + ")"));
    }
    if (r.contextLength % r.blockSize != 0) {
      violations.add(
          new SpecViolation(
              blockSize == null ? "contextLength" : "blockSize",
              "the block size must divide the context length (block size "
                  + r.blockSize
                  + ", context length "
                  + r.contextLength
                  + ")"));
    }
    if (r.causal && r.blockSize != 1) {
      violations.add(
          new SpecViolation(
              blockSize == null ? "causal" : "blockSize",
              "a causal model has block size 1 (block size " + r.blockSize + ")"));
    }
    if (r.causal && r.condDim != 0) {
      violations.add(
          new SpecViolation("condDim", "a causal model has no adaLN: condDim must be 0"));
    }
    if (r.noiseMin > r.noiseMax) {
      violations.add(
          new SpecViolation(
              noiseMin == null ? "noiseMax" : "noiseMin",
              "noiseMin must not exceed noiseMax ([" + r.noiseMin + ", " + r.noiseMax + "])"));
    }
    return violations;
  }

  private ModelPreset presetOrDefault() {
    return preset == null ? ModelPreset.DEFAULT : ModelPreset.of(preset);
  }
}
