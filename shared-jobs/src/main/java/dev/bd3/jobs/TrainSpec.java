package dev.bd3.jobs;

import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;

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
    implements JobSpec {}
