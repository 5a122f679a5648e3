package dev.bd3.model.train;

/** Callbacks of a {@link TrainingLoop}: progress, metrics, checkpoints and cancellation. */
public interface TrainingListener {
  /** After every {@code logEvery} steps. */
  default void onProgress(long step, long total, double secondsPerStep) {}

  /** A named value at a step: loss, lr, grad_norm, tokens_per_s, val_nelbo, ... */
  default void onMetric(String name, long step, double value) {}

  /**
   * Right before a checkpoint is written: a listener that may no longer write (its worker lost the
   * job to another) throws, and nothing is written.
   */
  default void beforeCheckpoint(long step) {}

  /** A checkpoint was written; {@code metrics} holds the validation figures at that step. */
  default void onCheckpoint(Checkpoint.Written written, java.util.Map<String, Double> metrics) {}

  /** Polled before every step: true stops training after writing a checkpoint. */
  default boolean cancelled() {
    return false;
  }

  TrainingListener NONE = new TrainingListener() {};
}
