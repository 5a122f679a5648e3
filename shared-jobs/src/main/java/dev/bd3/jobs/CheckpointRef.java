package dev.bd3.jobs;

/**
 * A spec that reads a checkpoint: the user names a training run (and optionally a step); the
 * gateway resolves that to the checkpoint's URI before the job is published.
 */
public interface CheckpointRef {
  String trainRunId();

  Long checkpointStep();

  String checkpoint();
}
