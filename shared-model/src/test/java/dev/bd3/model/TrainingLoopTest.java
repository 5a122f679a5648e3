package dev.bd3.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.bd3.model.data.Corpus;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.train.Checkpoint;
import dev.bd3.model.train.TrainingConfig;
import dev.bd3.model.train.TrainingListener;
import dev.bd3.model.train.TrainingLoop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingLoopTest {
  private static Corpus corpus;

  @BeforeAll
  static void loadCorpus() {
    corpus = Corpus.europarl();
  }

  private static TrainingConfig.Builder quick(int steps) {
    return TrainingConfig.quick(steps)
        .batchSize(4)
        .checkpointEvery(3)
        .logEvery(1)
        .validationBatches(1)
        .seed(7);
  }

  @Test
  void lossFallsOnRealText(@TempDir Path dir) {
    List<Double> losses;
    try (NDManager m = Fixtures.manager()) {
      losses =
          new TrainingLoop(
                  ModelConfig.micro(),
                  quick(40).learningRate(3e-3).warmupSteps(5).build(),
                  corpus,
                  dir,
                  TrainingListener.NONE)
              .run(m)
              .losses();
    }
    // zero-initialised output layer: the first prediction is uniform over the 259 non-MASK ids
    assertEquals(Math.log(259), losses.get(0), 0.2 * Math.log(259));
    double first = mean(losses.subList(0, 5));
    double last = mean(losses.subList(35, 40));
    assertTrue(last < 0.8 * first, "loss fell from " + first + " to " + last);
  }

  private static TrainingConfig searching(int steps) {
    return quick(steps).scheduleSearchEvery(2).build();
  }

  @Test
  void resumedRunContinuesWithTheSameLosses(@TempDir Path straight, @TempDir Path stopped) {
    ModelConfig t = ModelConfig.micro();
    // dropout on: its masks too must be drawn again identically after the resume
    ModelConfig config =
        new ModelConfig(t.vocabSize(), t.layers(), t.width(), t.heads(), t.mlpRatio(), 0.1, 16, 4);
    // the schedule search too: the interval chosen at step 2 must come back with the checkpoint
    try (NDManager m = Fixtures.manager()) {
      TrainingLoop.Result whole =
          new TrainingLoop(config, searching(6), corpus, straight, TrainingListener.NONE).run(m);
      List<Double> all = whole.losses();
      TrainingLoop.Result first =
          new TrainingLoop(config, searching(3), corpus, stopped, TrainingListener.NONE).run(m);
      TrainingLoop.Result second =
          new TrainingLoop(config, searching(6), corpus, stopped, TrainingListener.NONE).run(m);

      assertFalse(first.resumed());
      assertTrue(second.resumed());
      assertNotEquals(ClippedSchedule.FULL, first.schedule(), "the search moved the interval");
      assertEquals(whole.schedule(), second.schedule());
      assertEquals(3, second.losses().size());
      for (int i = 0; i < 3; i++) {
        assertEquals(all.get(i), first.losses().get(i), 1e-6);
        assertEquals(all.get(3 + i), second.losses().get(i), 1e-5, "step " + (4 + i));
      }
      assertEquals(6, Checkpoint.stepOf(Checkpoint.newest(stopped).orElseThrow()));
    }
  }

  @Test
  void callbacksReportAndCancellationWritesACheckpoint(@TempDir Path dir) {
    List<String> metrics = new ArrayList<>();
    List<Long> checkpoints = new ArrayList<>();
    TrainingListener listener =
        new TrainingListener() {
          int polls;

          @Override
          public void onMetric(String name, long step, double value) {
            metrics.add(name + "@" + step);
          }

          @Override
          public void onCheckpoint(Checkpoint.Written written, Map<String, Double> m) {
            checkpoints.add(written.step());
            assertTrue(Files.exists(written.path()));
            assertEquals(64, written.sha256().length());
            assertTrue(m.get("val_nelbo") > 0);
          }

          @Override
          public boolean cancelled() {
            return ++polls > 5; // cancel before step 6
          }
        };
    TrainingLoop.Result result;
    try (NDManager m = Fixtures.manager()) {
      result =
          new TrainingLoop(
                  ModelConfig.micro().withContextLength(16),
                  quick(100).build(),
                  corpus,
                  dir,
                  listener)
              .run(m);
    }
    assertTrue(result.cancelled());
    assertEquals(5, result.step());
    assertEquals(List.of(3L, 5L), checkpoints);
    assertTrue(metrics.contains("loss@1") && metrics.contains("grad_norm@5"));
    assertTrue(metrics.contains("val_nelbo@5"));
  }

  @Test
  void memoryStaysFlatOverManySteps(@TempDir Path dir) {
    int[] live = new int[2];
    TrainingListener probe =
        new TrainingListener() {
          @Override
          public void onProgress(long step, long total, double secondsPerStep) {
            if (step == 5) {
              live[0] = liveArrays();
            } else if (step == 40) {
              live[1] = liveArrays();
            }
          }
        };
    try (NDManager m = Fixtures.manager()) {
      new TrainingLoop(
              ModelConfig.micro().withContextLength(16),
              // checkpoints (validation with the EMA swapped in) and searches between the probes
              quick(40).checkpointEvery(10).scheduleSearchEvery(10).build(),
              corpus,
              dir,
              probe)
          .run(m);
    }
    System.out.println("live native arrays at steps 5 and 40: " + live[0] + ", " + live[1]);
    // 30 weights (embedding, 4 of the sigma embedding, 10 a layer, final norm and its modulation,
    // output and bias), their EMA and two moments each, plus constants kept with the weights: two
    // masks, the SUBS vector, two attention scales, five zero LayerNorm biases, two GELU constants
    // a layer and the sigma embedding's frequencies
    assertEquals(4 * 30 + 15, live[0], "every array the run holds is counted");
    assertEquals(live[0], live[1], "native arrays alive at step 5 and step 40");
  }

  /** Arrays held by every manager under the engine's root. */
  private static int liveArrays() {
    NDManager root = Engine.getInstance().newBaseManager().getParentManager();
    return count(root);
  }

  private static int count(NDManager m) {
    return m.getManagedArrays().size();
  }

  private static double mean(List<Double> xs) {
    return xs.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
  }
}
