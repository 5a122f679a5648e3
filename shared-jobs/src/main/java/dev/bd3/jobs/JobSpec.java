package dev.bd3.jobs;

import java.util.List;

/**
 * What a job asks for; one record per {@link JobType}. Nulls mean "use the default"; each record
 * resolves its own defaults, so the gateway stores and the worker runs the same effective spec.
 */
public sealed interface JobSpec permits TrainSpec, EvalSpec, SampleSpec {

  /**
   * Rules across fields and rules a field annotation cannot say; {@link SpecValidation} checks
   * these together with the fields' own constraints.
   */
  List<SpecViolation> crossFieldViolations();

  /**
   * Bytes a worker holds at the peak of this job ({@link ResourceEstimate}).
   *
   * @param model the model it reads, or for a training job the one it trains (itself)
   */
  long memory(TrainSpec model);

  /** Tokens this job processes on {@code model} ({@link ResourceEstimate}). */
  double work(TrainSpec model);
}
