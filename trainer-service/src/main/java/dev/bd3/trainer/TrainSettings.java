package dev.bd3.trainer;

import static java.util.Objects.requireNonNullElse;

import dev.bd3.jobs.TrainSpec;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.train.TrainingConfig;

/**
 * A training spec as the model library's configurations: the named preset with the spec's
 * overrides, and a CPU-friendly recipe where the spec is silent (lr 1e-3, short warm-up).
 */
final class TrainSettings {
  static final int DEFAULT_STEPS = 300;

  private TrainSettings() {}

  static ModelConfig model(TrainSpec s) {
    ModelConfig p = ModelConfig.preset(requireNonNullElse(s.preset(), TrainSpec.DEFAULT_PRESET));
    return new ModelConfig(
        p.vocabSize(),
        requireNonNullElse(s.layers(), p.layers()),
        requireNonNullElse(s.width(), p.width()),
        requireNonNullElse(s.heads(), p.heads()),
        p.mlpRatio(),
        requireNonNullElse(s.dropout(), p.dropout()),
        requireNonNullElse(s.contextLength(), p.contextLength()),
        requireNonNullElse(s.blockSize(), p.blockSize()));
  }

  static TrainingConfig training(TrainSpec s) {
    int steps = requireNonNullElse(s.steps(), DEFAULT_STEPS);
    int checkpointEvery =
        requireNonNullElse(s.checkpointEvery(), Math.max(1, Math.min(500, steps / 3)));
    ClippedSchedule schedule =
        new ClippedSchedule(
            requireNonNullElse(s.noiseMin(), ClippedSchedule.FULL.low()),
            requireNonNullElse(s.noiseMax(), ClippedSchedule.FULL.high()));
    return TrainingConfig.quick(steps)
        .batchSize(requireNonNullElse(s.batchSize(), 16))
        .learningRate(requireNonNullElse(s.learningRate(), 1e-3))
        .warmupSteps(requireNonNullElse(s.warmupSteps(), Math.min(50, steps / 10)))
        .gradClip(requireNonNullElse(s.gradClip(), 1.0))
        .emaDecay(requireNonNullElse(s.emaDecay(), 0.9999))
        .checkpointEvery(checkpointEvery)
        .schedule(schedule)
        .scheduleSearchEvery(Boolean.TRUE.equals(s.scheduleSearch()) ? checkpointEvery : 0)
        .logEvery(Math.max(1, Math.min(10, steps / 20)))
        .seed(requireNonNullElse(s.seed(), 0L))
        .build();
  }
}
