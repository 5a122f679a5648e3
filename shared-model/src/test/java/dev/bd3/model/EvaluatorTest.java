package dev.bd3.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bd3.model.data.Tokenizer;
import dev.bd3.model.eval.GenerativePerplexity;
import dev.bd3.model.eval.PerplexityEvaluator;
import dev.bd3.model.eval.UnigramEntropy;
import dev.bd3.model.nn.Attention;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.spec.Vocabulary;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class EvaluatorTest {
  private static final int[] TEXT =
      Fixtures.BYTES.encode("the quick brown fox jumps over the lazy dog ".repeat(40));

  /**
   * A random causal model (the reference's AR): the evaluator's NLL of each window is what the
   * model gives each token from the tokens before it alone, one pass per prefix (a windowing or
   * mask bug shows here); bits per byte follow from the text's bytes, for both tokenizers.
   */
  @ParameterizedTest
  @EnumSource(Vocabulary.class)
  void theCausalModelsPerplexityIsItsNextTokenLikelihood(Vocabulary vocabulary) {
    Tokenizer tokenizer = Tokenizer.of(vocabulary);
    ModelConfig config =
        ModelConfig.micro().withVocabSize(vocabulary.size).withContextLength(8).asCausal();
    int[] text = tokenizer.encode("the quick brown fox jumps over the lazy dog ".repeat(8));
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm ar = Fixtures.randomModel(config, m, 6);
      PerplexityEvaluator.Result r = PerplexityEvaluator.evaluate(ar, text, 3, 2, 1, 0, m);
      double nll = 0;
      long bytes = 0;
      for (int w = 0; w < 3; w++) { // window w: BOS, then text[7w, 7w + 7)
        for (int i = 1; i < 8; i++) {
          long[] prefix = new long[i];
          prefix[0] = tokenizer.bos();
          for (int j = 1; j < i; j++) {
            prefix[j] = text[7 * w + j - 1];
          }
          try (NDManager s = m.newSubManager()) {
            float[] logp =
                ar.nextTokenLogits(s.create(prefix, new Shape(1, i)), false)
                    .get("0, " + (i - 1))
                    .logSoftmax(-1)
                    .toFloatArray();
            nll -= logp[text[7 * w + i - 1]];
          }
          bytes += tokenizer.bytes(text[7 * w + i - 1]).length;
        }
      }
      assertEquals(21, r.tokens());
      assertEquals(nll / 21, r.nelbo(), 1e-5);
      assertEquals(bytes, r.bytes());
      assertEquals(nll / bytes / Math.log(2), r.bitsPerByte(), 1e-5);
      assertTrue(r.perplexity() > 20, "a random model is far from the text: " + r.perplexity());
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

  /**
   * The diffusion bound is an unbiased Monte Carlo estimate, on a random model. For one window of L
   * = 8 in blocks of 4, its expectation is exact by enumeration: a block's terms depend only on its
   * own mask, and a mask S of n eligible positions has weight (1 / t) t^|S| (1 - t)^(n - |S|)
   * integrated over t ~ U[1e-3, 1]. The mean of 3,000 draws must lie within 4 of its reported
   * standard errors of it.
   */
  @Test
  void theDiffusionBoundIsUnbiased() {
    ModelConfig config = ModelConfig.micro().withContextLength(8);
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(config, m, 1);
      long[] x0 = new long[8];
      x0[0] = Fixtures.BYTES.bos();
      for (int i = 1; i < 8; i++) {
        x0[i] = TEXT[i - 1];
      }
      double expected = 0;
      for (int block = 0; block < 2; block++) {
        int first = block == 0 ? 1 : 4; // BOS is never masked
        int n = 4 * block + 4 - first;
        for (int set = 1; set < 1 << n; set++) {
          long[] xt = x0.clone();
          for (int i = 0; i < n; i++) {
            if ((set & 1 << i) != 0) {
              xt[first + i] = config.mask();
            }
          }
          float[] logp;
          try (NDManager s = m.newSubManager()) {
            NDArray clean = s.create(x0, new Shape(1, 8));
            logp =
                model
                    .denoise(s.create(xt, new Shape(1, 8)), clean, false)
                    .logSoftmax(-1)
                    .gather(clean.expandDims(-1), -1)
                    .toFloatArray();
          }
          double weight = maskWeight(Integer.bitCount(set), n);
          for (int i = 0; i < n; i++) {
            if ((set & 1 << i) != 0) {
              expected -= weight * logp[first + i];
            }
          }
        }
      }
      expected /= 7; // per scored token
      PerplexityEvaluator.Result r = PerplexityEvaluator.evaluate(model, TEXT, 1, 1, 3000, 3, m);
      assertTrue(r.stdError() > 0, "draws scatter");
      assertEquals(expected, r.nelbo(), 4 * r.stdError(), "exact " + expected);
      assertTrue(Math.abs(expected - Math.log(259)) > 0.05, "a random model is not uniform");
    }
  }

  /** (1 / 0.999) times the integral over [1e-3, 1] of t^(k - 1) (1 - t)^(n - k), numerically. */
  private static double maskWeight(int k, int n) {
    int steps = 200_000;
    double h = (1 - 1e-3) / steps;
    double sum = 0;
    for (int i = 0; i < steps; i++) {
      double t = 1e-3 + (i + 0.5) * h;
      sum += Math.pow(t, k - 1) * Math.pow(1 - t, n - k) * h;
    }
    return sum / (1 - 1e-3);
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
