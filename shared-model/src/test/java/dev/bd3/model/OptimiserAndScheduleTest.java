package dev.bd3.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.initializer.Initializer;
import dev.bd3.model.data.Corpus;
import dev.bd3.model.data.Windows;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.diffusion.ScheduleSearch;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.train.AdamW;
import dev.bd3.model.train.Checkpoint;
import dev.bd3.model.train.Ema;
import dev.bd3.model.train.TrainingConfig;
import dev.bd3.model.train.TrainingListener;
import dev.bd3.model.train.TrainingLoop;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OptimiserAndScheduleTest {

  /** One AdamW step on L = |w|^2 / 2 (gradient w), worked out by hand, and one EMA update. */
  @Test
  void adamWAndEmaMatchHandComputedValues() {
    try (NDManager m = Fixtures.manager()) {
      Parameter p =
          Parameter.builder()
              .setName("w")
              .setType(Parameter.Type.WEIGHT)
              .optShape(new Shape(2))
              .optInitializer(Initializer.ONES)
              .build();
      p.initialize(m, ai.djl.ndarray.types.DataType.FLOAT32);
      p.getArray().set(new float[] {1, 2});
      TrainingConfig c =
          TrainingConfig.reference().learningRate(0.1).gradClip(1.0).emaDecay(0.5).build();
      try (AdamW adam = new AdamW(List.of(p), m);
          Ema ema = new Ema(List.of(p), c.emaDecay(), m);
          NDManager step = m.newSubManager()) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          NDArray w = p.getArray();
          gc.backward(w.square().sum().div(step.create(2f)));
        }
        double norm = adam.step(c, 0.1, step);
        assertEquals(Math.sqrt(5), norm, 1e-6, "norm before clipping");
        // m = (1 - b1) g, v = (1 - b2) g^2; bias-corrected m / sqrt(v) = sign(g): w -= lr
        assertArrayEquals(new float[] {0.9f, 1.9f}, p.getArray().toFloatArray(), 1e-5f);
        ema.update(); // warm-up decay min(0.5, 1/10) = 0.1: ema = 0.1 * [1, 2] + 0.9 * w
        float[] averaged = ema.state().get(0).toFloatArray();
        assertArrayEquals(new float[] {0.1f + 0.81f, 0.2f + 1.71f}, averaged, 1e-5f);
        assertEquals(1, adam.updates());
      }
    }
  }

  /** Narrow intervals away from t = 0 avoid the 1/t blow-up: their NELBO varies less. */
  @Test
  void searchPrefersLowVarianceIntervalsAndTheLoopStoresItsChoice(@TempDir Path dir) {
    Corpus corpus = Corpus.europarl();
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(ModelConfig.tiny(), m, 2);
      List<long[]> batches = new ArrayList<>();
      SplittableRandom r = new SplittableRandom(4);
      for (int i = 0; i < 2; i++) {
        batches.add(Windows.random(corpus.validation(), 8, 32, r));
      }
      List<ClippedSchedule> candidates =
          List.of(
              ClippedSchedule.FULL, new ClippedSchedule(0.45, 0.95), new ClippedSchedule(0.5, 1));
      double[] v = ScheduleSearch.variances(model, batches, 8, candidates, 1, m);
      assertTrue(
          v[1] < v[0] && v[2] < v[0],
          "clipped intervals vary less: " + java.util.Arrays.toString(v));
      assertEquals(
          v[1] < v[2] ? candidates.get(1) : candidates.get(2), ScheduleSearch.best(candidates, v));

      List<Double> lows = new ArrayList<>();
      TrainingListener listener =
          new TrainingListener() {
            @Override
            public void onMetric(String name, long step, double value) {
              if (name.equals("schedule_low")) {
                lows.add(value);
              }
            }
          };
      TrainingConfig c =
          TrainingConfig.quick(4)
              .batchSize(4)
              .scheduleSearchEvery(2)
              .checkpointEvery(4)
              .validationBatches(1)
              .build();
      TrainingLoop.Result result =
          new TrainingLoop(ModelConfig.tiny(), c, corpus, dir, listener).run(m);
      assertEquals(2, lows.size(), "searched at steps 2 and 4");
      ClippedSchedule stored = Checkpoint.read(result.lastCheckpoint().path(), m).meta().schedule();
      assertEquals(result.schedule(), stored);
      assertEquals(lows.get(1), stored.low());
      assertTrue(ClippedSchedule.referenceGrid().contains(stored));
    }
  }
}
