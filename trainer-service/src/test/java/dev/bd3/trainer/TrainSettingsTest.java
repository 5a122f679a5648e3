package dev.bd3.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.bd3.jobs.TrainSpec;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.train.TrainingConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainSettingsTest {

  private static TrainSpec spec(String preset, Integer blockSize, Integer steps, Boolean search) {
    return new TrainSpec(
        preset, null, null, null, null, blockSize, null, steps, null, null, null, null, null, null,
        0.45, 0.95, search, null, 7L, null);
  }

  @Test
  void presetWithOverridesAndCpuFriendlyDefaults() {
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
  void emptySpecIsTheCpuPreset() {
    TrainSpec empty =
        new TrainSpec(
            null, null, null, null, null, null, null, null, null, null, null, null, null, null,
            null, null, null, null, null, null);
    assertEquals(ModelConfig.cpu(), TrainSettings.model(empty));
    assertEquals(TrainSettings.DEFAULT_STEPS, TrainSettings.training(empty).steps());
    assertEquals(ClippedSchedule.FULL, TrainSettings.training(empty).schedule());
  }

  @Test
  void theContractKnowsThePresetShapes() {
    TrainSpec.PRESET_SHAPES.forEach(
        (name, shape) -> {
          ModelConfig m = ModelConfig.preset(name);
          assertEquals(List.of(m.width(), m.heads(), m.contextLength()), shape, name);
        });
    assertEquals(
        java.util.Set.of("blockSize"), spec("cpu", 3, 10, false).shapeErrors().keySet(), "128 % 3");
    assertEquals(java.util.Map.of(), spec("cpu", 16, 10, false).shapeErrors());
  }

  @Test
  void impossibleShapesAreRejected() {
    assertThrows(
        IllegalArgumentException.class, () -> TrainSettings.model(spec("cpu", 3, 10, false)));
  }
}
