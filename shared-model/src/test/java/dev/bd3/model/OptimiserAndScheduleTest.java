package dev.bd3.model;

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
import dev.bd3.model.nn.DeviceCopy;
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

  /**
   * The reference's constant schedule with warm-up (transformers' {@code
   * get_constant_schedule_with_warmup}, stepped after each update): lr n / W at update n (from 0),
   * so 0 at the first, then lr from update W on.
   */
  @Test
  void learningRateWarmsUpLinearlyThenStaysConstant() {
    TrainingConfig c = TrainingConfig.reference().learningRate(3e-4).warmupSteps(2500).build();
    assertEquals(0, c.learningRateAt(0), 0);
    assertEquals(3e-4 / 2500, c.learningRateAt(1), 1e-15);
    assertEquals(3e-4 * 1250 / 2500, c.learningRateAt(1250), 1e-15);
    assertEquals(3e-4 * 2499 / 2500, c.learningRateAt(2499), 1e-15);
    assertEquals(3e-4, c.learningRateAt(2500), 1e-15);
    assertEquals(3e-4, c.learningRateAt(100_000), 1e-15);
    assertEquals(1e-3, TrainingConfig.quick(10).warmupSteps(0).build().learningRateAt(0), 0);
  }

  /**
   * Three AdamW steps (with clipping) and EMA updates on L = sum(c * w^2) / 2, against the same
   * recurrences computed in double precision here.
   */
  @Test
  void adamWAndEmaFollowTheirRecurrences() {
    float[] c = {1f, 4f, 0.25f};
    double[] w = {1, -2, 3};
    try (NDManager m = Fixtures.manager()) {
      Parameter p =
          Parameter.builder()
              .setName("w")
              .setType(Parameter.Type.WEIGHT)
              .optShape(new Shape(3))
              .optInitializer(Initializer.ZEROS)
              .build();
      p.initialize(m, ai.djl.ndarray.types.DataType.FLOAT32);
      DeviceCopy.into(m.create(new float[] {1, -2, 3}), p.getArray());
      TrainingConfig cfg =
          TrainingConfig.reference().gradClip(2.0).weightDecay(0.01).emaDecay(0.5).build();
      double lr = 0.05;
      double[] mom = new double[3];
      double[] vel = new double[3];
      double[] avg = w.clone();
      try (AdamW adam = new AdamW(List.of(p), m);
          Ema ema = new Ema(List.of(p), cfg.emaDecay(), m)) {
        for (int t = 1; t <= 3; t++) {
          double norm;
          try (NDManager step = m.newSubManager()) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
              NDArray x = p.getArray();
              gc.backward(x.square().mul(step.create(c)).sum().div(step.create(2f)));
            }
            norm = adam.step(cfg, lr, step);
          }
          ema.update();
          // the reference: gradient c * w, clipped to norm 2, AdamW with decoupled decay
          double[] g = new double[3];
          double sq = 0;
          for (int i = 0; i < 3; i++) {
            g[i] = c[i] * w[i];
            sq += g[i] * g[i];
          }
          assertEquals(Math.sqrt(sq), norm, 1e-4 * Math.sqrt(sq), "norm at step " + t);
          double scale = Math.sqrt(sq) > 2 ? 2 / (Math.sqrt(sq) + 1e-6) : 1;
          double decay = Math.min(0.5, (1.0 + t) / (10.0 + t)); // the reference counts first
          for (int i = 0; i < 3; i++) {
            double gi = g[i] * scale;
            mom[i] = 0.9 * mom[i] + 0.1 * gi;
            vel[i] = 0.999 * vel[i] + 0.001 * gi * gi;
            double mh = mom[i] / (1 - Math.pow(0.9, t));
            double vh = vel[i] / (1 - Math.pow(0.999, t));
            w[i] -= lr * (mh / (Math.sqrt(vh) + 1e-8) + 0.01 * w[i]);
            avg[i] = decay * avg[i] + (1 - decay) * w[i];
          }
          float[] got = p.getArray().toFloatArray();
          float[] averaged = ema.state().get(0).toFloatArray();
          for (int i = 0; i < 3; i++) {
            assertEquals(w[i], got[i], 1e-5, "w" + i + " at step " + t);
            assertEquals(avg[i], averaged[i], 1e-5, "ema" + i + " at step " + t);
          }
        }
        assertEquals(3, adam.updates());
      }
    }
  }

  /** Narrow intervals away from t = 0 avoid the 1/t blow-up: their NELBO varies less. */
  @Test
  void searchPrefersLowVarianceIntervalsAndTheLoopStoresItsChoice(@TempDir Path dir) {
    Corpus corpus = Corpus.europarl();
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(ModelConfig.micro(), m, 2);
      List<long[]> batches = new ArrayList<>();
      SplittableRandom r = new SplittableRandom(4);
      for (int i = 0; i < 2; i++) {
        batches.add(
            Windows.random(
                corpus.tokens(Fixtures.BYTES).validation(), Fixtures.BYTES.bos(), 8, 32, r));
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
          new TrainingLoop(ModelConfig.micro(), c, corpus, dir, listener).run(m);
      assertEquals(2, lows.size(), "searched at steps 2 and 4");
      ClippedSchedule stored = Checkpoint.read(result.lastCheckpoint().path(), m).meta().schedule();
      assertEquals(result.schedule(), stored);
      assertEquals(lows.get(1), stored.low());
      assertTrue(ClippedSchedule.referenceGrid().contains(stored));
    }
  }
}
