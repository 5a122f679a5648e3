package dev.bd3.jobs;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Kafka topic names of the job contract, under a prefix ({@code bd3} unless configured): a second
 * suite on the same broker, such as the tests', uses its own prefix and never sees the jobs of the
 * first. Services map their channels to these names in configuration.
 *
 * @param prefix the namespace, {@code bd3} by default
 */
public record Topics(String prefix) {
  public static final Topics DEFAULT = new Topics("bd3");

  /**
   * Headers of a dead letter: why it was parked and the topic it came from (the names SmallRye's
   * dead-letter strategy writes, so that the gateway's and the workers' letters read alike).
   */
  public static final String DEAD_LETTER_REASON = "dead-letter-reason";

  public static final String DEAD_LETTER_TOPIC = "dead-letter-topic";

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

  /** The job type whose queue a topic is, if it is one. */
  public Optional<JobType> jobType(String topic) {
    return Arrays.stream(JobType.values()).filter(t -> jobs(t).equals(topic)).findFirst();
  }

  /** Every topic of the suite under this prefix. */
  public Set<String> all() {
    Set<String> all = new HashSet<>(Set.of(events(), control(), deadLetter()));
    Arrays.stream(JobType.values()).map(this::jobs).forEach(all::add);
    return all;
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
