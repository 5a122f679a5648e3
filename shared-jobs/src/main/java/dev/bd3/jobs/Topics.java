package dev.bd3.jobs;

/** Kafka topic names of the job contract. Services map channels to these in configuration. */
public final class Topics {
  /** Jobs of type {@code t} go to {@code bd3.jobs.<t>}, keyed by run id. */
  public static final String JOBS_PREFIX = "bd3.jobs.";

  /** Everything workers report, keyed by run id so that one run's events stay in order. */
  public static final String JOB_EVENTS = "bd3.job-events";

  /** Cancellation requests, read by every worker instance. */
  public static final String CONTROL = "bd3.jobs.control";

  /** Messages that could not be parsed and jobs that failed for good, with the reason. */
  public static final String DEAD_LETTER = "bd3.jobs.dlq";

  private Topics() {}
}
