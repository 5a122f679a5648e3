package dev.bd3.jobs;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Instant;

/** A job as published to {@code bd3.jobs.<type>}, keyed by run id. */
public record JobRequest(
    String runId,
    JobType type,
    @JsonTypeInfo(
            use = JsonTypeInfo.Id.NAME,
            include = JsonTypeInfo.As.EXTERNAL_PROPERTY,
            property = "type")
        @JsonSubTypes({
          @JsonSubTypes.Type(value = TrainSpec.class, name = "train"),
          @JsonSubTypes.Type(value = EvalSpec.class, name = "eval"),
          @JsonSubTypes.Type(value = SampleSpec.class, name = "sample")
        })
        JobSpec spec,
    Instant submittedAt) {}
