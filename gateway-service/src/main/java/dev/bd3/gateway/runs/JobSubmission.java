package dev.bd3.gateway.runs;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The body of {@code POST /api/v1/runs}. */
@Schema(
    description = "A job to run: its type and the spec of that type (missing fields take defaults)")
public record JobSubmission(
    @Schema(description = "the job type", required = true) String type,
    @Schema(description = "a label for people; optional")
        @Size(max = 200)
        @Pattern(regexp = "[^\\x00]*", message = "must not contain NUL")
        String name,
    @Schema(
            description =
                "TrainSpec, EvalSpec or SampleSpec; eval and sample need checkpoint or trainRunId")
        JsonNode spec,
    @Schema(
            description =
                "the job fails if it has not ended this many seconds after submission; default and"
                    + " largest value: the gateway's settings (24 h, 7 days)")
        @Min(1)
        Long timeoutSeconds) {}
