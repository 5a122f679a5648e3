package dev.bd3.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bd3.jobs.SpecValidation;
import dev.bd3.jobs.TrainSpec;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.spec.ModelPreset;
import dev.bd3.model.train.TrainingConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainSettingsTest {

  private static TrainSpec spec(String preset, Integer blockSize, Integer steps, Boolean search) {
    return spec(preset, blockSize, null, steps, search);
  }

  private static TrainSpec spec(
      String preset, Integer blockSize, Boolean causal, Integer steps, Boolean search) {
    return new TrainSpec(
        preset, null, null, null, null, blockSize, null, null, causal, null, steps, null, null,
        null, null, null, null, 0.45, 0.95, search, null, null, null, 7L, null);
  }

  @Test
  void presetWithOverridesAndTheContractsDefaults() {
    TrainSpec s = spec("small", 1, 900, true);
    ModelConfig m = TrainSettings.model(s);
    assertEquals(ModelConfig.small().withBlockSize(1), m, "the paper's size, as an AR model");
    TrainingConfig t = TrainSettings.training(s);
    assertEquals(900, t.steps());
    assertEquals(300, t.checkpointEvery());
    assertEquals(300, t.scheduleSearchEvery(), "the search runs at every checkpoint");
    assertEquals(new ClippedSchedule(0.45, 0.95), t.schedule());
    assertEquals(1e-3, t.learningRate());
    assertEquals(50, t.warmupSteps());
    assertEquals(7L, t.seed());
  }

  @Test
  void everyResolvedFieldReachesTheConfigurations() {
    TrainSpec r =
        new TrainSpec(
                "micro",
                3,
                48,
                4,
                64,
                8,
                0.1,
                24,
                false,
                null,
                40,
                5,
                2e-3,
                7,
                0.5,
                0.99,
                20,
                0.2,
                0.8,
                false,
                true,
                "europarl",
                null,
                11L,
                null)
            .resolved();
    ModelConfig m = TrainSettings.model(r);
    assertEquals(
        new ModelConfig(
            m.vocabSize(), 3, 48, 4, ModelPreset.MICRO.mlpRatio, 0.1, 64, 8, 24, false, false),
        m);
    TrainingConfig t = TrainSettings.training(r);
    assertEquals(
        TrainingConfig.reference()
            .steps(40)
            .batchSize(5)
            .learningRate(2e-3)
            .warmupSteps(7)
            .gradClip(0.5)
            .emaDecay(0.99)
            .checkpointEvery(20)
            .schedule(new ClippedSchedule(0.2, 0.8))
            .scheduleSearchEvery(0)
            .resample(true)
            .logEvery(2)
            .seed(11)
            .build(),
        t);
  }

  @Test
  void emptySpecIsTheDefaultPreset() {
    TrainSpec empty =
        new TrainSpec(
            null, null, null, null, null, null, null, null, null, null, null, null, null, null,
            null, null, null, null, null, null, null, null, null, null, null);
    assertEquals(ModelConfig.of(ModelPreset.DEFAULT), TrainSettings.model(empty));
    assertEquals(empty.resolved().steps(), TrainSettings.training(empty).steps());
    assertEquals(ClippedSchedule.FULL, TrainSettings.training(empty).schedule());
  }

  @Test
  void causalIsTheReferencesAutoregressiveModel() {
    TrainSpec s = spec("small", 1, true, 900, false);
    assertEquals(ModelConfig.small().asCausal(), TrainSettings.model(s));
    assertEquals(0, s.resolved().condDim(), "no adaLN");
    assertEquals(false, s.resolved().resample());
  }

  /** Whatever the contract accepts builds a model and a recipe (the library's own checks pass). */
  @Test
  void specsTheContractAcceptsBuildConfigurations() {
    for (ModelPreset p : ModelPreset.values()) {
      for (int blockSize = 1; blockSize <= p.contextLength; blockSize *= 2) {
        TrainSpec s = spec(p.json(), blockSize, 10, false);
        assertEquals(List.of(), SpecValidation.violations(s), s.toString());
        assertEquals(blockSize, TrainSettings.model(s).blockSize());
        TrainSettings.training(s);
      }
      TrainSpec causal = spec(p.json(), 1, true, 10, false);
      assertEquals(List.of(), SpecValidation.violations(causal), causal.toString());
      assertEquals(true, TrainSettings.model(causal).causal());
    }
  }
}
