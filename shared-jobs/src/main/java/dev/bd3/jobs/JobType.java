package dev.bd3.jobs;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;

/** The three kinds of job; each has its own topic and worker. */
public enum JobType {
  TRAIN(TrainSpec.class),
  EVAL(EvalSpec.class),
  SAMPLE(SampleSpec.class);

  private final Class<? extends JobSpec> specClass;

  JobType(Class<? extends JobSpec> specClass) {
    this.specClass = specClass;
  }

  /** The record a job of this type carries as its spec. */
  public Class<? extends JobSpec> specClass() {
    return specClass;
  }

  @JsonValue
  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The JSON names of every type, for messages: {@code train, eval, sample}. */
  public static String names() {
    return String.join(", ", Arrays.stream(values()).map(JobType::json).toList());
  }

  /** Parses {@code train}, {@code eval} or {@code sample}; null when the name is none of them. */
  @JsonCreator
  public static JobType parse(String name) {
    for (JobType t : values()) {
      if (t.json().equalsIgnoreCase(name)) {
        return t;
      }
    }
    return null;
  }
}
