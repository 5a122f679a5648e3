package dev.bd3.model.train;

import dev.bd3.model.diffusion.ClippedSchedule;

/**
 * How to train: the reference recipe is AdamW (lr 3e-4, betas 0.9/0.999, eps 1e-8, no weight
 * decay), 2,500 warm-up steps then constant, gradient clipping at 1.0, EMA 0.9999, a checkpoint
 * every 500 steps. Shorter CPU runs want fewer warm-up steps and a higher learning rate.
 *
 * @param schedule the clipped interval t is drawn from (overridden by the search when enabled)
 * @param scheduleSearchEvery search the reference grid every this many steps (0 = never)
 * @param resample redraw a block's mask until its masked fraction lies in the interval (the
 *     reference's {@code training.resample}, on in its block diffusion training scripts)
 * @param logEvery report loss and progress every this many steps
 * @param validationBatches held-out batches for the validation loss and the schedule search (16, so
 *     that the search does not follow the noise of one batch)
 */
public record TrainingConfig(
    int steps,
    int batchSize,
    double learningRate,
    int warmupSteps,
    double beta1,
    double beta2,
    double epsilon,
    double weightDecay,
    double gradClip,
    double emaDecay,
    int checkpointEvery,
    ClippedSchedule schedule,
    int scheduleSearchEvery,
    boolean resample,
    int logEvery,
    int validationBatches,
    long seed) {

  public TrainingConfig {
    if (steps < 1 || batchSize < 1 || checkpointEvery < 1 || logEvery < 1) {
      throw new IllegalArgumentException(
          "steps, batchSize, checkpointEvery, logEvery must be >= 1");
    }
    if (learningRate <= 0 || warmupSteps < 0 || gradClip < 0 || emaDecay < 0 || emaDecay >= 1) {
      throw new IllegalArgumentException("bad optimiser settings");
    }
  }

  /** The paper's recipe, as a builder to adjust. */
  public static Builder reference() {
    return new Builder();
  }

  /** Settings that learn in minutes on a CPU: lr 1e-3, short warm-up, EMA warm-up included. */
  public static Builder quick(int steps) {
    return new Builder()
        .steps(steps)
        .learningRate(1e-3)
        .warmupSteps(Math.min(50, steps / 10))
        .checkpointEvery(Math.max(1, steps / 4));
  }

  /** A builder holding this configuration. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.steps = steps;
    b.batchSize = batchSize;
    b.learningRate = learningRate;
    b.warmupSteps = warmupSteps;
    b.beta1 = beta1;
    b.beta2 = beta2;
    b.epsilon = epsilon;
    b.weightDecay = weightDecay;
    b.gradClip = gradClip;
    b.emaDecay = emaDecay;
    b.checkpointEvery = checkpointEvery;
    b.schedule = schedule;
    b.scheduleSearchEvery = scheduleSearchEvery;
    b.resample = resample;
    b.logEvery = logEvery;
    b.validationBatches = validationBatches;
    b.seed = seed;
    return b;
  }

  /**
   * Learning rate of update {@code step} (from 0): linear warm-up, then constant. As the
   * reference's schedule (stepped after each update), the first update's is 0.
   */
  public double learningRateAt(long step) {
    return warmupSteps == 0
        ? learningRate
        : learningRate * Math.min(1.0, (double) step / warmupSteps);
  }

  /** Builds a configuration; starts from the paper's recipe. */
  public static final class Builder {
    private int steps = 1000;
    private int batchSize = 16;
    private double learningRate = 3e-4;
    private int warmupSteps = 2500;
    private double beta1 = 0.9;
    private double beta2 = 0.999;
    private double epsilon = 1e-8;
    private double weightDecay = 0;
    private double gradClip = 1.0;
    private double emaDecay = 0.9999;
    private int checkpointEvery = 500;
    private ClippedSchedule schedule = ClippedSchedule.FULL;
    private int scheduleSearchEvery = 0;
    private boolean resample = true;
    private int logEvery = 10;
    private int validationBatches = 16;
    private long seed = 0;

    public Builder steps(int v) {
      steps = v;
      return this;
    }

    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    public Builder learningRate(double v) {
      learningRate = v;
      return this;
    }

    public Builder warmupSteps(int v) {
      warmupSteps = v;
      return this;
    }

    public Builder betas(double b1, double b2) {
      beta1 = b1;
      beta2 = b2;
      return this;
    }

    public Builder epsilon(double v) {
      epsilon = v;
      return this;
    }

    public Builder weightDecay(double v) {
      weightDecay = v;
      return this;
    }

    public Builder gradClip(double v) {
      gradClip = v;
      return this;
    }

    public Builder emaDecay(double v) {
      emaDecay = v;
      return this;
    }

    public Builder checkpointEvery(int v) {
      checkpointEvery = v;
      return this;
    }

    public Builder schedule(ClippedSchedule v) {
      schedule = v;
      return this;
    }

    public Builder scheduleSearchEvery(int v) {
      scheduleSearchEvery = v;
      return this;
    }

    public Builder resample(boolean v) {
      resample = v;
      return this;
    }

    public Builder logEvery(int v) {
      logEvery = v;
      return this;
    }

    public Builder validationBatches(int v) {
      validationBatches = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    public TrainingConfig build() {
      return new TrainingConfig(
          steps,
          batchSize,
          learningRate,
          warmupSteps,
          beta1,
          beta2,
          epsilon,
          weightDecay,
          gradClip,
          emaDecay,
          checkpointEvery,
          schedule,
          scheduleSearchEvery,
          resample,
          logEvery,
          validationBatches,
          seed);
    }
  }
}
