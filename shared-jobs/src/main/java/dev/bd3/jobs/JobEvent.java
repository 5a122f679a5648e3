package dev.bd3.jobs;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Instant;
import java.util.Map;

/**
 * What a worker reports about a run, published to {@link Topics#events()} keyed by run id. The
 * gateway applies events idempotently (a redelivered event changes nothing) and only those of the
 * run's current holder (a worker that lost the job, or holds a copy of its record, can change
 * nothing).
 *
 * @param runId the run
 * @param attempt which delivery of the job the worker runs: 1 for the first
 * @param holder which record of which dispatch the worker holds (null: sent by the gateway)
 * @param worker the reporting worker instance
 * @param version the {@link CodeVersion} that worker runs
 * @param time when the worker reported it
 * @param payload what it reports
 */
public record JobEvent(
    String runId,
    int attempt,
    Holder holder,
    String worker,
    String version,
    Instant time,
    Payload payload) {

  /** An event of this process, now. */
  public static JobEvent of(
      String runId, int attempt, Holder holder, String worker, Payload payload) {
    return new JobEvent(
        runId, attempt, holder, worker, CodeVersion.current(), Instant.now(), payload);
  }

  /**
   * Which copy of a job a worker holds: the publication ({@link JobRequest#dispatch()}) and the
   * record ({@code partition@offset} in the job topic). Two copies of one publication (an outbox
   * row sent twice) are two records; the gateway lets the first to start hold the run.
   */
  public record Holder(String dispatch, String record) {
    /** The record of a job topic's partition and offset, as a holder names it. */
    public static String record(int partition, long offset) {
      return partition + "@" + offset;
    }
  }

  /** The body of an event; its JSON names its kind. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = Status.class, name = "status"),
    @JsonSubTypes.Type(value = Heartbeat.class, name = "heartbeat"),
    @JsonSubTypes.Type(value = HandedBack.class, name = "handed-back"),
    @JsonSubTypes.Type(value = Progress.class, name = "progress"),
    @JsonSubTypes.Type(value = Metric.class, name = "metric"),
    @JsonSubTypes.Type(value = CheckpointWritten.class, name = "checkpoint"),
    @JsonSubTypes.Type(value = CheckpointRemoved.class, name = "checkpoint-removed"),
    @JsonSubTypes.Type(value = Block.class, name = "block"),
    @JsonSubTypes.Type(value = Sample.class, name = "sample"),
    @JsonSubTypes.Type(value = EvalResult.class, name = "eval-result")
  })
  public sealed interface Payload
      permits Status,
          Heartbeat,
          HandedBack,
          Progress,
          Metric,
          CheckpointWritten,
          CheckpointRemoved,
          Block,
          Sample,
          EvalResult {}

  /**
   * The run changed state; {@code reason} says why a run failed or was cancelled, or, for QUEUED,
   * why its worker gave the job back for another attempt.
   */
  public record Status(RunStatus status, String reason) implements Payload {}

  /** The worker still holds the job and is alive (sent while it runs, between other events). */
  public record Heartbeat() implements Payload {}

  /**
   * The worker stopped (a rolling update, a scale-in) and gives the job back: it has acknowledged
   * its record, so the gateway publishes the job again, and it does not count as a failed attempt.
   */
  public record HandedBack(String reason) implements Payload {}

  /** How far the job is: {@code step} of {@code total}, and the estimated seconds left. */
  public record Progress(long step, long total, Double etaSeconds) implements Payload {}

  /** One value of a named series (training loss, learning rate, tokens/s ...). */
  public record Metric(String name, long step, double value) implements Payload {}

  /** A checkpoint file was written to the artifact store. */
  public record CheckpointWritten(
      long step, String uri, String sha256, long bytes, Map<String, Double> metrics)
      implements Payload {}

  /** A checkpoint file was deleted (retention keeps the newest few and the best). */
  public record CheckpointRemoved(long step) implements Payload {}

  /** One generated block of sample {@code sample}, for streaming. */
  public record Block(int sample, int block, String text) implements Payload {}

  /** A finished sample and why it stopped. */
  public record Sample(
      int index, String text, int tokens, int nfe, String stopReason, double entropy)
      implements Payload {}

  /** One evaluation figure of a checkpoint. */
  public record EvalResult(String checkpoint, String metric, double value) implements Payload {}
}
