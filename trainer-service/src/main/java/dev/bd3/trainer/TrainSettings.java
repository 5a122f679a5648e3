package dev.bd3.trainer;

import dev.bd3.jobs.TrainSpec;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.spec.ModelPreset;
import dev.bd3.model.train.TrainingConfig;

/**
 * A training spec as the model library's configurations. Every default comes from {@link
 * TrainSpec#resolved()}; only what the spec does not name (how often to log) is decided here.
 */
final class TrainSettings {
  private TrainSettings() {}

  static ModelConfig model(TrainSpec spec) {
    TrainSpec s = spec.resolved();
    ModelPreset preset = ModelPreset.of(s.preset());
    return new ModelConfig(
        s.vocabulary().size,
        s.layers(),
        s.width(),
        s.heads(),
        preset.mlpRatio,
        s.dropout(),
        s.contextLength(),
        s.blockSize(),
        s.condDim(),
        s.causal(),
        false);
  }

  static TrainingConfig training(TrainSpec spec) {
    TrainSpec s = spec.resolved();
    return TrainingConfig.reference()
        .steps(s.steps())
        .batchSize(s.batchSize())
        .learningRate(s.learningRate())
        .warmupSteps(s.warmupSteps())
        .gradClip(s.gradClip())
        .emaDecay(s.emaDecay())
        .checkpointEvery(s.checkpointEvery())
        .schedule(new ClippedSchedule(s.noiseMin(), s.noiseMax()))
        .scheduleSearchEvery(s.scheduleSearch() ? s.checkpointEvery() : 0)
        .resample(s.resample())
        .logEvery(Math.max(1, Math.min(10, s.steps() / 20)))
        .seed(s.seed())
        .build();
  }
}
