package dev.bd3.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.diffusion.Nelbo;
import dev.bd3.model.diffusion.NoisedBatch;
import dev.bd3.model.diffusion.ReferencePasses;
import dev.bd3.model.nn.Attention;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The vectorised pass over [x_t ; x_0] must give the loss and gradients of B separate per-block
 * passes (each block's noisy tokens after the clean prefix), of two passes (x_0, then x_t attending
 * to its keys and values) and of one dense pass under the full 2L mask.
 */
class VectorisedTrainingTest {
  private static final int BATCH = 3;

  /** Every block size at L = 16, and those of the paper table at its context L = 128. */
  @ParameterizedTest(name = "L = {0}, L' = {1}")
  @CsvSource({
    "16, 1",
    "16, 2",
    "16, 4",
    "16, 8",
    "16, 16",
    "128, 4",
    "128, 8",
    "128, 16",
    "128, 128"
  })
  void vectorisedEqualsPerBlockPassesAndTwoPasses(int context, int blockSize) {
    ModelConfig config =
        new ModelConfig(Fixtures.BYTES.vocabSize(), 2, 32, 2, 4, 0.0, context, blockSize);
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(config, m, 11);
      NoisedBatch batch =
          NoisedBatch.noise(
              Fixtures.tokens(BATCH, context, 5),
              BATCH,
              config,
              ClippedSchedule.FULL,
              false,
              new SplittableRandom(3));

      Run vectorised = run(model, m, s -> Nelbo.tokenTerms(model, batch, s, true));
      Run perBlock = run(model, m, s -> ReferencePasses.perBlock(model, batch, s, true));
      Run twoPass = run(model, m, s -> ReferencePasses.twoPass(model, batch, s, true));
      Run dense = run(model, m, s -> ReferencePasses.dense(model, batch, s, true));

      assertTrue(vectorised.loss > 0.1, "a real loss: " + vectorised.loss);
      for (Run other : List.of(perBlock, twoPass, dense)) {
        assertEquals(vectorised.loss, other.loss, 1e-5 * vectorised.loss);
        for (int i = 0; i < vectorised.grads.size(); i++) {
          float[] a = vectorised.grads.get(i);
          float[] b = other.grads.get(i);
          double tolerance = 1e-6 + 1e-4 * Fixtures.maxAbs(a);
          assertTrue(Fixtures.maxAbs(a) > 0 || i == 0, "gradient " + i + " is zero");
          assertTrue(Fixtures.maxAbsDiff(a, b) <= tolerance, "gradient " + i + " differs");
        }
      }
    }
  }

  /** With t = 1 everywhere and L' = 1 the loss is the AR negative log-likelihood. */
  @Test
  void allMaskedBlockSizeOneLossIsTheAutoregressiveNll() {
    ModelConfig config = new ModelConfig(Fixtures.BYTES.vocabSize(), 2, 32, 2, 4, 0.0, 12, 1);
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(config, m, 4);
      long[] x0 = Fixtures.tokens(2, 12, 9);
      NoisedBatch batch =
          NoisedBatch.noise(
              x0,
              2,
              12,
              1,
              config.mask(),
              ClippedSchedule.ALL_MASKED,
              false,
              new SplittableRandom(1));
      double loss;
      try (NDManager s = m.newSubManager()) {
        loss = Nelbo.tokenTerms(model, batch, s, false).sum().getFloat() / batch.scoredTokens();
      }
      // independently: one causal forward per position over x_<i followed by MASK
      double nll = 0;
      for (int n = 0; n < 2; n++) {
        for (int i = 1; i < 12; i++) {
          try (NDManager s = m.newSubManager()) {
            long[] input = new long[i + 1];
            System.arraycopy(x0, n * 12, input, 0, i);
            input[i] = Fixtures.BYTES.mask();
            NDArray logits =
                model
                    .forward(
                        s.create(input, new Shape(1, i + 1)),
                        s.arange(0, i + 1, 1, DataType.INT64),
                        null,
                        Attention.additiveMask(s, lowerTriangle(i + 1), i + 1, i + 1),
                        false)
                    .logits();
            float[] logp = logits.get("0, " + i).logSoftmax(-1).toFloatArray();
            nll -= logp[(int) x0[n * 12 + i]];
          }
        }
      }
      assertEquals(nll / 22, loss, 1e-5 * loss);
    }
  }

  private static boolean[] lowerTriangle(int n) {
    boolean[] mask = new boolean[n * n];
    for (int q = 0; q < n; q++) {
      for (int k = 0; k <= q; k++) {
        mask[q * n + k] = true;
      }
    }
    return mask;
  }

  private record Run(double loss, List<float[]> grads) {}

  private static Run run(Bd3Lm model, NDManager m, Function<NDManager, NDArray> terms) {
    List<Parameter> params = model.parameterList();
    try (NDManager s = m.newSubManager()) {
      double loss;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray total = terms.apply(s).sum().div(s.create(1f * BATCH * 15));
        gc.backward(total);
        loss = total.getFloat();
      }
      List<float[]> grads = new ArrayList<>();
      for (Parameter p : params) {
        NDArray g = p.getArray().getGradient();
        g.attach(s);
        grads.add(g.toFloatArray());
        g.subi(g);
      }
      return new Run(loss, grads);
    }
  }
}
