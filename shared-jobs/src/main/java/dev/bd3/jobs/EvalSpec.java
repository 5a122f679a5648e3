package dev.bd3.jobs;

import static java.util.Objects.requireNonNullElse;

import dev.bd3.model.spec.CorpusText;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * An evaluation job: test perplexity (an upper bound from the NELBO) of one checkpoint, and
 * optionally the generative perplexity of its samples as judged by an autoregressive checkpoint.
 * The samples are drawn with a sample job's defaults, up to the model's context length.
 */
public record EvalSpec(
    @Schema(description = "the training run whose checkpoint to evaluate") @Size(max = 64)
        String trainRunId,
    @Schema(description = "that run's checkpoint at this step; default its newest") @Min(0)
        Long checkpointStep,
    @Schema(description = "or a checkpoint URI the gateway has recorded") @Size(max = 2048)
        String checkpoint,
    @Schema(description = "held-out split")
        @Pattern(regexp = "test|validation", message = "must be test or validation")
        String split,
    @Schema(
            description =
                "held-out text: europarl (bundled) or the id of a dataset uploaded to POST"
                    + " /api/v1/datasets; an imported model, whose text is unknown, needs one")
        @DerivedDefault("the checkpoint's training text")
        @Pattern(
            regexp = CorpusText.BUNDLED + "|" + TrainSpec.DATASET_ID,
            message = "must be europarl or the id of an uploaded dataset")
        String corpus,
    @Schema(
            description =
                "sha256 of the corpus's text: the gateway fills it in from the dataset's record,"
                    + " and a worker refuses text that differs; given, it must match (a pin)")
        @Pattern(regexp = "[0-9a-f]{64}", message = "must be 64 lowercase hex digits")
        String corpusSha256,
    @Schema(description = "held-out sequences scored") @Min(1) @Max(100_000) Integer maxSequences,
    @Schema(description = "sequences per forward pass") @Min(1) @Max(1024) Integer batchSize,
    @Schema(description = "Monte Carlo draws of t per block (more tighten the bound)")
        @Min(1)
        @Max(64)
        Integer mcDraws,
    @Schema(description = "samples to generate for entropy, NFE and generative perplexity")
        @Min(0)
        @Max(256)
        Integer genSamples,
    @Schema(description = "an autoregressive training run (blockSize 1) that judges the samples")
        @Size(max = 64)
        String judgeRunId,
    @Schema(description = "or the judge's checkpoint URI") @Size(max = 2048) String judgeCheckpoint,
    @Schema(description = "evaluate the moving average of the weights") Boolean useEma,
    @Schema(description = "seed of the noise draws and samples") Long seed)
    implements JobSpec, CheckpointRef {

  /**
   * This spec with every default filled in (the checkpoint references stay as given, and so does
   * the corpus: none is the checkpoint's own).
   */
  public EvalSpec resolved() {
    return new EvalSpec(
        trainRunId,
        checkpointStep,
        checkpoint,
        requireNonNullElse(split, "test"),
        corpus,
        corpusSha256,
        requireNonNullElse(maxSequences, 64),
        requireNonNullElse(batchSize, 16),
        requireNonNullElse(mcDraws, 1),
        requireNonNullElse(genSamples, 0),
        judgeRunId,
        judgeCheckpoint,
        requireNonNullElse(useEma, true),
        requireNonNullElse(seed, 0L));
  }

  /** The same job reading these checkpoints (as the gateway resolved them). */
  public EvalSpec reading(String checkpointUri, String judgeUri) {
    return new EvalSpec(
        trainRunId,
        checkpointStep,
        checkpointUri,
        split,
        corpus,
        corpusSha256,
        maxSequences,
        batchSize,
        mcDraws,
        genSamples,
        judgeRunId,
        judgeUri,
        useEma,
        seed);
  }

  /** True when the held-out text is an uploaded dataset rather than the bundled text. */
  public boolean readsDataset() {
    return corpus != null && !CorpusText.BUNDLED.equals(corpus);
  }

  /** This spec reading the corpus whose text has {@code sha256} (the gateway's record of it). */
  public EvalSpec withCorpusSha256(String sha256) {
    return new EvalSpec(
        trainRunId,
        checkpointStep,
        checkpoint,
        split,
        corpus,
        sha256,
        maxSequences,
        batchSize,
        mcDraws,
        genSamples,
        judgeRunId,
        judgeCheckpoint,
        useEma,
        seed);
  }

  @Override
  public long memory(TrainSpec model) {
    return ResourceEstimate.evaluationMemory(this, model);
  }

  @Override
  public double work(TrainSpec model) {
    return ResourceEstimate.evaluationWork(this, model);
  }

  /** Nothing across fields beyond how the checkpoints are named. */
  @Override
  public List<SpecViolation> crossFieldViolations() {
    return List.of();
  }

  /** As for every checkpoint reference, and a judge is named once: by run or by checkpoint. */
  @Override
  public List<SpecViolation> referenceViolations() {
    List<SpecViolation> violations = new ArrayList<>(CheckpointRef.super.referenceViolations());
    if (judgeRunId != null && judgeCheckpoint != null) {
      violations.add(
          new SpecViolation("judgeCheckpoint", "give judgeCheckpoint or judgeRunId, not both"));
    }
    return violations;
  }
}
