package dev.bd3.jobs;

/**
 * Kafka topic names of the job contract, under a prefix ({@code bd3} unless configured): a second
 * suite on the same broker, such as the tests', uses its own prefix and never sees the jobs of the
 * first. Services map their channels to these names in configuration.
 *
 * @param prefix the namespace, {@code bd3} by default
 */
public record Topics(String prefix) {
  public static final Topics DEFAULT = new Topics("bd3");

  /** Jobs of one type, keyed by run id: {@code <prefix>.jobs.<type>}. */
  public String jobs(JobType type) {
    return prefix + ".jobs." + type.json();
  }

  /**
   * The share group whose members, the workers of one type, take that type's jobs: any idle member
   * takes the next job, whatever the partition.
   */
  public String workers(JobType type) {
    return prefix + "-" + type.json() + "-workers";
  }

  /** Everything workers report, keyed by run id so that one run's events stay in order. */
  public String events() {
    return prefix + ".job-events";
  }

  /** Cancellation requests, read by every worker instance. */
  public String control() {
    return prefix + ".jobs.control";
  }

  /** Messages that could not be parsed and jobs that failed for good, with the reason. */
  public String deadLetter() {
    return prefix + ".jobs.dlq";
  }
}
