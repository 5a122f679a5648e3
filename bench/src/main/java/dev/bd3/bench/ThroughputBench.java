package dev.bd3.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.bd3.model.data.Corpus;
import dev.bd3.model.data.Windows;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.diffusion.NoisedBatch;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.spec.ModelPreset;
import dev.bd3.model.train.TrainingConfig;
import dev.bd3.model.train.TrainingStep;
import java.util.SplittableRandom;

/**
 * Training throughput of the vectorised step (forward, backward, AdamW, EMA) and its model FLOP
 * utilisation: achieved FLOP/s over the matrix-product rate measured in the same run.
 */
final class ThroughputBench extends Benchmark {
  ThroughputBench(Options options, Report report) {
    super(options, report);
  }

  @Override
  void run() throws Exception {
    ModelConfig c = o.model(4, 256, 4, 256, 4, ModelPreset.CPU.condDim);
    int batch = o.integer("batch", 8);
    int steps = o.integer("steps", 10);
    int n = o.integer("matmul", 1024);
    int[] train = Corpus.europarl().tokens(c.tokenizer()).train(); // tokenized before timing
    try (NDManager m = Engine.getInstance().newBaseManager()) {
      double peak = Flops.matmulRate(m, n);
      TrainingConfig tc = TrainingConfig.quick(steps).batchSize(batch).build();
      try (TrainingStep step = new TrainingStep(Bd3Lm.create(c, m, 0), tc, m)) {
        SplittableRandom random = new SplittableRandom(1);
        long[] count = {0};
        double seconds =
            Timer.medianSeconds(
                2,
                steps,
                () -> {
                  long[] x0 =
                      Windows.random(train, c.tokenizer().bos(), batch, c.contextLength(), random);
                  NoisedBatch b =
                      NoisedBatch.noise(x0, batch, c, ClippedSchedule.FULL, false, random);
                  step.run(b, ++count[0]);
                });
        double flops = Flops.trainingStep(c, batch);
        double tokens = (double) batch * c.contextLength() / seconds;
        double mfu = flops / seconds / peak;
        r.line(
            "model: %d layers x %d, %d heads, L = %d, L' = %d, %.2fM parameters; batch %d",
            c.layers(),
            c.width(),
            c.heads(),
            c.contextLength(),
            c.blockSize(),
            c.parameterCount() / 1e6,
            batch);
        r.line("matrix product (%d x %d, fp32): %.1f GFLOP/s", n, n, peak / 1e9);
        r.line(
            "training step: %.1f ms median of %d, %.2f GFLOP per step (matmuls, fwd + bwd)",
            seconds * 1e3, steps, flops / 1e9);
        r.line(
            "throughput: %.0f tokens/s (%d tokens per sequence; the clean copy is not counted)",
            tokens, c.contextLength());
        r.line(
            "achieved: %.1f GFLOP/s = %.2f of the matrix-product rate", flops / seconds / 1e9, mfu);
        r.result("tokens_per_s", tokens);
        r.result("step_ms", seconds * 1e3);
        r.result("matmul_gflops", peak / 1e9);
        r.result("mfu", mfu);
      }
    }
    r.finish();
  }
}
