package dev.bd3.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import dev.bd3.model.data.Corpus;
import dev.bd3.model.data.Windows;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.diffusion.Nelbo;
import dev.bd3.model.diffusion.NoisedBatch;
import dev.bd3.model.diffusion.ReferencePasses;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.spec.ModelPreset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Forward + backward of the NELBO three ways, same batch, same gradients: the vectorised pass
 * (which skips the masked-out quarter and computes M_BD per block), two separate passes (x_0, then
 * x_t attending to its keys and values), and one dense pass under the full 2L mask.
 */
final class VectorisedBench extends Benchmark {
  interface Terms {
    NDArray of(Bd3Lm model, NoisedBatch batch, NDManager m, boolean training);
  }

  VectorisedBench(Options options, Report report) {
    super(options, report);
  }

  @Override
  void run() throws Exception {
    ModelConfig c = o.model(4, 128, 4, 256, 16, ModelPreset.CPU.condDim);
    int batch = o.integer("batch", 8);
    int repeats = o.integer("repeats", 10);
    try (NDManager m = Engine.getInstance().newBaseManager()) {
      Bd3Lm model = Bd3Lm.create(c, m, 0);
      SplittableRandom random = new SplittableRandom(1);
      long[] x0 =
          Windows.random(
              Corpus.europarl().tokens(c.tokenizer()).train(),
              c.tokenizer().bos(),
              batch,
              c.contextLength(),
              random);
      NoisedBatch b = NoisedBatch.noise(x0, batch, c, ClippedSchedule.FULL, false, random);
      Terms vectorised = Nelbo::tokenTerms;
      Terms twoPass = ReferencePasses::twoPass;
      Terms dense = ReferencePasses::dense;
      List<float[]> gv = gradients(model, b, m, vectorised);
      double diffTwo = maxDiff(gv, gradients(model, b, m, twoPass));
      double diffDense = maxDiff(gv, gradients(model, b, m, dense));
      double[] vt =
          Timer.interleavedMedians(
              2,
              repeats,
              () -> gradients(model, b, m, vectorised),
              () -> gradients(model, b, m, twoPass));
      double[] vd =
          Timer.interleavedMedians(
              1,
              repeats,
              () -> gradients(model, b, m, vectorised),
              () -> gradients(model, b, m, dense));
      r.line(
          "model: %d layers x %d, L = %d, L' = %d, batch %d; forward + backward of the NELBO",
          c.layers(), c.width(), c.contextLength(), c.blockSize(), batch);
      r.line("vectorised [x_t ; x_0], forbidden quarter skipped: %.1f ms", vt[0] * 1e3);
      r.line(
          "two passes (x_0, then x_t with its KV):          %.1f ms  (gradients differ by %.1e at most)",
          vt[1] * 1e3, diffTwo);
      r.line(
          "dense pass under the full 2L mask:                %.1f ms  (gradients differ by %.1e at most)",
          vd[1] * 1e3, diffDense);
      r.line(
          "speed-up over two passes: %.2fx; over the dense 2L pass: %.2fx",
          vt[1] / vt[0], vd[1] / vd[0]);
      r.result("vectorised_speedup", vt[1] / vt[0]);
      r.result("dense_speedup", vd[1] / vd[0]);
      r.result("max_gradient_difference", Math.max(diffTwo, diffDense));
    }
    r.finish();
  }

  private static List<float[]> gradients(Bd3Lm model, NoisedBatch b, NDManager m, Terms terms) {
    List<float[]> out = new ArrayList<>();
    try (NDManager s = m.newSubManager()) {
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        gc.backward(terms.of(model, b, s, true).sum().div(s.create((float) b.scoredTokens())));
      }
      for (Parameter p : model.parameterList()) {
        NDArray g = p.getArray().getGradient();
        g.attach(s);
        out.add(g.toFloatArray());
        g.subi(g);
      }
    }
    return out;
  }

  private static double maxDiff(List<float[]> a, List<float[]> b) {
    double d = 0;
    for (int i = 0; i < a.size(); i++) {
      for (int j = 0; j < a.get(i).length; j++) {
        d = Math.max(d, Math.abs(a.get(i)[j] - b.get(i)[j]));
      }
    }
    return d;
  }
}
