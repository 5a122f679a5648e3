package dev.bd3.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bd3.model.diffusion.ScheduleSearch;
import dev.bd3.model.eval.GenerativePerplexity;
import dev.bd3.model.eval.PerplexityEvaluator;
import dev.bd3.model.eval.UnigramEntropy;
import dev.bd3.model.nn.Attention;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.ModelConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class EvaluatorTest {
  private static final int[] TEXT =
      Fixtures.BYTES.encode("the quick brown fox jumps over the lazy dog ".repeat(40));

  /** A fresh model predicts uniformly over the 259 ids that are not MASK: PPL = 259. */
  @Test
  void untrainedAutoregressiveModelHasUniformPerplexity() {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm ar = Bd3Lm.create(ModelConfig.micro().withBlockSize(1), m, 1);
      PerplexityEvaluator.Result r = PerplexityEvaluator.evaluate(ar, TEXT, 10, 4, 1, 0, m);
      assertEquals(259, r.perplexity(), 1e-3);
      assertEquals(10 * 31, r.tokens());

      GenerativePerplexity.Result g =
          GenerativePerplexity.judge(ar, List.of(TEXT, new int[] {1, 2, 3}), m);
      assertEquals(259, g.meanPerplexity(), 1e-3);
      assertEquals(TEXT.length + 3, g.tokens());
    }
  }

  /** A random AR model: the evaluator's NLL equals one causal forward per scored position. */
  @Test
  void autoregressivePerplexityIsTheExactLikelihoodOfConsecutiveWindows() {
    ModelConfig config = ModelConfig.micro().withContextLength(8).withBlockSize(1);
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm ar = Fixtures.randomModel(config, m, 6);
      PerplexityEvaluator.Result r = PerplexityEvaluator.evaluate(ar, TEXT, 3, 2, 1, 0, m);
      double nll = 0;
      for (int w = 0; w < 3; w++) { // window w: BOS, then TEXT[7w, 7w + 7)
        for (int i = 1; i < 8; i++) {
          long[] input = new long[i + 1];
          input[0] = Fixtures.BYTES.bos();
          for (int j = 1; j < i; j++) {
            input[j] = TEXT[7 * w + j - 1];
          }
          input[i] = Fixtures.BYTES.mask();
          boolean[] causal = new boolean[(i + 1) * (i + 1)];
          for (int q = 0; q <= i; q++) {
            for (int k = 0; k <= q; k++) {
              causal[q * (i + 1) + k] = true;
            }
          }
          try (NDManager s = m.newSubManager()) {
            float[] logp =
                ar.forward(
                        s.create(input, new Shape(1, i + 1)),
                        s.arange(0, i + 1, 1, DataType.INT64),
                        null,
                        Attention.additiveMask(s, causal, i + 1, i + 1),
                        false)
                    .logits()
                    .get("0, " + i)
                    .logSoftmax(-1)
                    .toFloatArray();
            nll -= logp[TEXT[7 * w + i - 1]];
          }
        }
      }
      assertEquals(21, r.tokens());
      assertEquals(nll / 21, r.nelbo(), 1e-5);
      assertTrue(r.perplexity() > 20, "a random model is far from the text: " + r.perplexity());
    }
  }

  /**
   * Generative perplexity of a sample longer than the judge's window, stride 1: every token is
   * scored after BOS and the (at most L - 2) tokens before it, each by a causal pass of its own.
   */
  @Test
  void generativePerplexityIsTheExactLikelihoodUnderTheSlidingWindow() {
    ModelConfig config = ModelConfig.micro().withContextLength(8).withBlockSize(1);
    int[] sample = java.util.Arrays.copyOfRange(TEXT, 3, 23); // 20 tokens, window 7
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm ar = Fixtures.randomModel(config, m, 8);
      double nll = 0;
      for (int i = 0; i < sample.length; i++) {
        int from = Math.max(0, i - 6);
        long[] input = new long[i - from + 2];
        input[0] = Fixtures.BYTES.bos();
        for (int j = from; j < i; j++) {
          input[j - from + 1] = sample[j];
        }
        input[input.length - 1] = Fixtures.BYTES.mask();
        nll -= lastLogProbabilities(ar, input, m)[sample[i]];
      }
      GenerativePerplexity.Result g = GenerativePerplexity.judge(ar, List.of(sample), 1, m);
      assertEquals(20, g.tokens());
      assertEquals(nll / 20, g.nll(), 1e-5);
      assertEquals(Math.exp(nll / 20), g.meanPerplexity(), 1e-3 * g.meanPerplexity());
      // a stride of a whole window restarts the context every 7 tokens: another figure
      assertTrue(GenerativePerplexity.judge(ar, List.of(sample), 7, m).nll() != g.nll());
    }
  }

  /** log p at the last position of a causal pass over {@code input}. */
  private static float[] lastLogProbabilities(Bd3Lm ar, long[] input, NDManager m) {
    int n = input.length;
    boolean[] causal = new boolean[n * n];
    for (int q = 0; q < n; q++) {
      for (int k = 0; k <= q; k++) {
        causal[q * n + k] = true;
      }
    }
    try (NDManager s = m.newSubManager()) {
      return ar.forward(
              s.create(input, new Shape(1, n)),
              s.arange(0, n, 1, DataType.INT64),
              null,
              Attention.additiveMask(s, causal, n, n),
              false)
          .logits()
          .get("0, " + (n - 1))
          .logSoftmax(-1)
          .toFloatArray();
    }
  }

  /** For diffusion the NELBO is a Monte Carlo estimate: E[#masked / t] = #tokens, so ~ln 259. */
  @Test
  void diffusionBoundIsUnbiasedAndTightensWithDraws() {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Bd3Lm.create(ModelConfig.micro(), m, 1);
      PerplexityEvaluator.Result many = PerplexityEvaluator.evaluate(model, TEXT, 40, 8, 16, 3, m);
      assertEquals(Math.log(259), many.nelbo(), 0.1);
      assertEquals(16, many.draws());
      assertTrue(many.stdError() > 0 && many.stdError() < 0.1, "std error " + many.stdError());
      // the standard error of 16 draws predicts how far single draws scatter: sd(1) = 4 se(16)
      double[] singles = new double[12];
      for (int s = 0; s < singles.length; s++) {
        singles[s] = PerplexityEvaluator.evaluate(model, TEXT, 40, 8, 1, 100 + s, m).nelbo();
      }
      double sd = Math.sqrt(ScheduleSearch.variance(singles) * 12 / 11);
      double predicted = 4 * many.stdError();
      assertTrue(sd > predicted / 2 && sd < predicted * 2, "sd " + sd + ", predicted " + predicted);
    }
  }

  @Test
  void judgeMustBeAutoregressive() {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Bd3Lm.create(ModelConfig.micro(), m, 1);
      assertThrows(
          IllegalArgumentException.class,
          () -> GenerativePerplexity.judge(model, List.of(TEXT), m));
    }
  }

  @Test
  void unigramEntropyMatchesHandValues() {
    assertEquals(0, UnigramEntropy.of(new int[] {7, 7, 7}), 1e-12);
    assertEquals(Math.log(2), UnigramEntropy.of(new int[] {1, 2, 1, 2}), 1e-12);
    assertEquals(Math.log(4), UnigramEntropy.of(new int[] {9, 1, 2, 3, 4, 9}, 1, 5), 1e-12);
  }
}
