package dev.bd3.jobs;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The kinds of job, each described once: its spec, its worker, what it does, and the default size
 * of its worker pool. Each has its own topic ({@link Topics#jobs(JobType)}) and worker service.
 */
public enum JobType {
  TRAIN(
      TrainSpec.class,
      "trainer",
      "Train a BD3-LM (block size 1: autoregressive; = context length: MDLM).",
      8,
      1e11),
  EVAL(
      EvalSpec.class,
      "eval",
      "Evaluate a checkpoint: test perplexity, optionally generative perplexity.",
      8,
      1e9),
  SAMPLE(
      SampleSpec.class,
      "sampler",
      "Generate text from a checkpoint, block by block with the KV cache.",
      8,
      1e8);

  private final Class<? extends JobSpec> specClass;
  private final String worker;
  private final String description;
  private final long memory;
  private final double work;

  JobType(
      Class<? extends JobSpec> specClass,
      String worker,
      String description,
      int memoryGib,
      double work) {
    this.specClass = specClass;
    this.worker = worker;
    this.description = description;
    this.memory = memoryGib * (1L << 30);
    this.work = work;
  }

  /** The record a job of this type carries as its spec. */
  public Class<? extends JobSpec> specClass() {
    return specClass;
  }

  /**
   * The worker service that runs it: the module {@code <worker>-service}, its deployment in compose
   * and Kubernetes, its instances in {@code deploy/local/suite}.
   */
  public String worker() {
    return worker;
  }

  /** Every type's worker, in declaration order. */
  public static List<String> workers() {
    return Arrays.stream(values()).map(JobType::worker).toList();
  }

  /** One sentence for help texts. */
  public String description() {
    return description;
  }

  /**
   * Bytes a worker of this pool holds unless {@code bd3.<type>.memory} says otherwise: a job whose
   * {@link JobSpec#memory} is larger is refused.
   */
  public long defaultMemory() {
    return memory;
  }

  /** Tokens a job of this type may process unless {@code bd3.<type>.work} says otherwise. */
  public double defaultWork() {
    return work;
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
