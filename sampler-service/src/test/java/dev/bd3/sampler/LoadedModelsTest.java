package dev.bd3.sampler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.train.Checkpoint;
import dev.bd3.model.train.CheckpointMeta;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Models stay loaded within the budget, least recently used out, never one in use. */
class LoadedModelsTest {
  private static final ModelConfig MICRO = ModelConfig.micro();
  private static final long ONE = 4L * MICRO.parameterCount();

  @TempDir Path dir;
  private final List<String> reads = new ArrayList<>();

  @Test
  void aModelIsReadOnceAndTheLeastRecentlyUsedGoesPastTheBudget() {
    LoadedModels models = new LoadedModels(2 * ONE); // room for two
    Bd3Lm first;
    try (LoadedModels.Lease a = acquire(models, "a", true)) {
      assertFalse(a.kept());
      first = a.model();
    }
    try (LoadedModels.Lease a = acquire(models, "a", true)) {
      assertTrue(a.kept(), "read once");
      assertSame(first, a.model());
    }
    acquire(models, "b", true).close();
    acquire(models, "a", true).close(); // a is now the most recently used
    acquire(models, "c", true).close(); // three past the budget of two: b goes
    assertEquals(List.of("a", "b", "c"), reads);
    assertEquals(2 * ONE, models.held());
    assertTrue(acquire(models, "a", true).kept());
    assertFalse(acquire(models, "b", true).kept(), "b was let go and is read again");
  }

  @Test
  void theMovingAverageAndTheRawWeightsAreTwoModels() throws Exception {
    LoadedModels models = new LoadedModels(4 * ONE);
    try (LoadedModels.Lease ema = acquire(models, "a", true);
        LoadedModels.Lease raw = acquire(models, "a", false)) {
      float ema0 = ema.model().parameterList().get(0).getArray().toFloatArray()[0];
      float raw0 = raw.model().parameterList().get(0).getArray().toFloatArray()[0];
      assertEquals(raw0 + 1, ema0, 1e-6, "the EMA's weights are the raw ones plus one here");
    }
  }

  @Test
  void aModelInUseIsNeverLetGoAndABudgetOfNoneKeepsNone() {
    LoadedModels none = new LoadedModels(0);
    try (LoadedModels.Lease a = acquire(none, "a", true)) {
      assertEquals(ONE, none.held(), "held while in use");
      try (LoadedModels.Lease b = acquire(none, "b", true)) {
        b.model().parameterList().get(0).getArray().toFloatArray();
      } // b goes as it is handed back; a, in use, stays
      assertEquals(ONE, none.held());
      a.model().parameterList().get(0).getArray().toFloatArray(); // its arrays still open
    }
    assertEquals(0, none.held());
    assertFalse(acquire(none, "a", true).kept());
  }

  @Test
  void aCheckpointThatCannotBeReadLeavesNothingLoaded() {
    LoadedModels models = new LoadedModels(2 * ONE);
    Supplier<Path> missing = () -> dir.resolve("none.ckpt");
    assertThrows(RuntimeException.class, () -> models.acquire("x", true, missing));
    assertEquals(0, models.held());
  }

  /** A checkpoint of the micro model whose EMA is its weights plus one, written on first read. */
  private LoadedModels.Lease acquire(LoadedModels models, String name, boolean ema) {
    return models.acquire(
        name,
        ema,
        () -> {
          reads.add(name);
          return write(name);
        });
  }

  private Path write(String name) {
    try (NDManager m = Engine.getInstance().newBaseManager()) {
      Bd3Lm model = Bd3Lm.create(MICRO, m, name.hashCode());
      NDList weights = new NDList();
      NDList ema = new NDList();
      for (Parameter p : model.parameterList()) {
        weights.add(p.getArray());
        ema.add(p.getArray().add(1));
      }
      CheckpointMeta meta =
          new CheckpointMeta(
              CheckpointMeta.FORMAT, 1, MICRO, ClippedSchedule.FULL, 0, 1, 1, null, null, Map.of());
      return Checkpoint.save(dir.resolve(name), meta, weights, ema, new NDList()).path();
    }
  }
}
