package dev.bd3.worker;

import dev.bd3.jobs.JobEvent;
import java.nio.file.Path;
import java.util.Map;

/** What a running job may report and ask; every report becomes a {@link JobEvent}. */
public final class JobContext {
  private final String runId;
  private final JobEvents events;
  private final Cancellations cancellations;
  private final Path artifactDir;

  JobContext(String runId, JobEvents events, Cancellations cancellations, Path artifactDir) {
    this.runId = runId;
    this.events = events;
    this.cancellations = cancellations;
    this.artifactDir = artifactDir;
  }

  public String runId() {
    return runId;
  }

  /** This run's own folder in the artifact store, {@code <artifacts>/runs/<run id>}. */
  public Path runDir() {
    return artifactDir.resolve("runs").resolve(runId);
  }

  /** True once a user asked to cancel this run. */
  public boolean cancelled() {
    return cancellations.isCancelled(runId);
  }

  public void progress(long step, long total, Double etaSeconds) {
    events.send(runId, new JobEvent.Progress(step, total, etaSeconds));
  }

  public void metric(String name, long step, double value) {
    events.send(runId, new JobEvent.Metric(name, step, value));
  }

  public void checkpoint(long step, String uri, String sha256, long bytes, Map<String, Double> m) {
    events.send(runId, new JobEvent.CheckpointWritten(step, uri, sha256, bytes, m));
  }

  public void block(int sample, int block, String text) {
    events.send(runId, new JobEvent.Block(sample, block, text));
  }

  public void sample(int index, String text, int tokens, int nfe, String stop, double entropy) {
    events.send(runId, new JobEvent.Sample(index, text, tokens, nfe, stop, entropy));
  }

  public void evalResult(String checkpoint, String metric, double value) {
    events.send(runId, new JobEvent.EvalResult(checkpoint, metric, value));
  }
}
