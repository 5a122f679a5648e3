package dev.bd3.jobs;

import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/** A generation job: block by block with a KV cache, stopping at EOS or a maximum length. */
public record SampleSpec(
    String trainRunId,
    @Min(0) Long checkpointStep,
    String checkpoint,
    @Min(1) @Max(64) Integer numSamples,
    @Min(1) @Max(131_072) Integer maxTokens,
    @Pattern(
            regexp = "ddpm|first-hitting|parallel",
            message = "must be one of ddpm, first-hitting, parallel")
        String sampler,
    @Min(1) @Max(4096) Integer steps,
    @DecimalMin(value = "0.0", inclusive = false) @DecimalMax("1.0") Double topP,
    @Min(1) Integer tokensPerStep,
    @Size(max = 4096) String prompt,
    Boolean stopOnEos,
    @DecimalMin("0.0") Double entropyThreshold,
    Boolean useEma,
    Long seed)
    implements JobSpec, CheckpointRef {}
