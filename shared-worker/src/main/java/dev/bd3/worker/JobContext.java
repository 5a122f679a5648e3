package dev.bd3.worker;

import dev.bd3.jobs.JobEvent;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * What a running job may report and ask; every report becomes a {@link JobEvent} of this attempt.
 * Once the worker has lost the job to another worker, every report and check throws, so that the
 * job stops at once without writing anything more.
 */
public final class JobContext {
  private final String runId;
  private final int attempt;
  private final JobEvent.Holder holder;
  private final JobEvents events;
  private final Cancellations cancellations;
  private final ArtifactStore artifacts;
  private final Lease lease;
  private final Instant deadline;

  JobContext(
      String runId,
      int attempt,
      JobEvent.Holder holder,
      JobEvents events,
      Cancellations cancellations,
      ArtifactStore artifacts,
      Lease lease,
      Instant deadline) {
    this.deadline = deadline;
    this.runId = runId;
    this.attempt = attempt;
    this.holder = holder;
    this.events = events;
    this.cancellations = cancellations;
    this.artifacts = artifacts;
    this.lease = lease;
  }

  public String runId() {
    return runId;
  }

  /** Which delivery of the job this is: 1 for the first. */
  public int attempt() {
    return attempt;
  }

  /** The file a checkpoint URI names, refused unless it is in the artifact store. */
  public Path artifact(String uri) {
    return artifacts.path(uri);
  }

  /** The text of the uploaded dataset with this sha256, refused unless it is in the store. */
  public Path dataset(String sha256) {
    return artifacts.dataset(sha256);
  }

  /** The artifact store, to publish what this job writes. */
  public ArtifactStore artifacts() {
    return artifacts;
  }

  /** This run's own folder in the artifact store, {@code <artifacts>/runs/<run id>}. */
  public Path runDir() {
    return artifacts.root().resolve("runs").resolve(runId);
  }

  /**
   * True once a user asked to cancel this run, the job passed its deadline, or this worker is
   * shutting down: stop at the next step (training saves a checkpoint first).
   */
  public boolean cancelled() {
    lease.check();
    return lease.stopping() || pastDeadline() || cancellations.isCancelled(runId);
  }

  /** Whether the job has passed its deadline (a job without one never does). */
  boolean pastDeadline() {
    return deadline != null && Instant.now().isAfter(deadline);
  }

  /**
   * Waits until the broker has confirmed that this worker still holds the job: call it right before
   * a side effect that another holder must never repeat (a checkpoint file). Throws when the job
   * has gone to another worker.
   */
  public void confirmHold() {
    lease.confirm();
  }

  public void progress(long step, long total, Double etaSeconds) {
    send(new JobEvent.Progress(step, total, etaSeconds));
  }

  public void metric(String name, long step, double value) {
    send(new JobEvent.Metric(name, step, value));
  }

  public void checkpoint(long step, String uri, String sha256, long bytes, Map<String, Double> m) {
    send(new JobEvent.CheckpointWritten(step, uri, sha256, bytes, m));
  }

  public void checkpointRemoved(long step) {
    send(new JobEvent.CheckpointRemoved(step));
  }

  public void block(int sample, int block, String text) {
    send(new JobEvent.Block(sample, block, text));
  }

  public void sample(int index, String text, int tokens, int nfe, String stop, double entropy) {
    send(new JobEvent.Sample(index, text, tokens, nfe, stop, entropy));
  }

  public void evalResult(String checkpoint, String metric, double value) {
    send(new JobEvent.EvalResult(checkpoint, metric, value));
  }

  private void send(JobEvent.Payload payload) {
    lease.check();
    events.send(runId, attempt, holder, payload);
  }
}
