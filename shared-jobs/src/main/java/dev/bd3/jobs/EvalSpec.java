package dev.bd3.jobs;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;

/**
 * An evaluation job: test perplexity (an upper bound from the NELBO) of one checkpoint, and
 * optionally the generative perplexity of its samples as judged by an autoregressive checkpoint.
 */
public record EvalSpec(
    String trainRunId,
    @Min(0) Long checkpointStep,
    String checkpoint,
    @Pattern(regexp = "test|validation", message = "must be test or validation") String split,
    @Min(1) Integer maxSequences,
    @Min(1) @Max(64) Integer mcDraws,
    @Min(0) @Max(256) Integer genSamples,
    String judgeRunId,
    String judgeCheckpoint,
    Boolean useEma,
    Long seed)
    implements JobSpec, CheckpointRef {}
