package dev.bd3.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.bd3.model.data.ByteTokenizer;
import dev.bd3.model.eval.GenerativePerplexity;
import dev.bd3.model.eval.PerplexityEvaluator;
import dev.bd3.model.eval.UnigramEntropy;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.ModelConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class EvaluatorTest {
  private static final int[] TEXT =
      ByteTokenizer.encode("the quick brown fox jumps over the lazy dog ".repeat(40));

  /** A fresh model predicts uniformly over the 259 ids that are not MASK: PPL = 259. */
  @Test
  void untrainedAutoregressiveModelHasUniformPerplexity() {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm ar = Bd3Lm.create(ModelConfig.tiny().withBlockSize(1), m, 1);
      PerplexityEvaluator.Result r = PerplexityEvaluator.evaluate(ar, TEXT, 10, 4, 1, 0, m);
      assertEquals(259, r.perplexity(), 1e-3);
      assertEquals(10 * 31, r.tokens());

      GenerativePerplexity.Result g =
          GenerativePerplexity.judge(ar, List.of(TEXT, new int[] {1, 2, 3}), m);
      assertEquals(259, g.meanPerplexity(), 1e-3);
      assertEquals(TEXT.length + 3, g.tokens());
    }
  }

  /** For diffusion the NELBO is a Monte Carlo estimate: E[#masked / t] = #tokens, so ~ln 259. */
  @Test
  void diffusionBoundIsUnbiasedAndTightensWithDraws() {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Bd3Lm.create(ModelConfig.tiny(), m, 1);
      PerplexityEvaluator.Result one = PerplexityEvaluator.evaluate(model, TEXT, 40, 8, 1, 3, m);
      PerplexityEvaluator.Result many = PerplexityEvaluator.evaluate(model, TEXT, 40, 8, 16, 3, m);
      assertEquals(Math.log(259), many.nelbo(), 0.1);
      assertEquals(16, many.draws());
      assertTrue(many.stdError() > 0 && many.stdError() < 0.1, "std error " + many.stdError());
      assertEquals(0, one.stdError());
    }
  }

  @Test
  void judgeMustBeAutoregressive() {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Bd3Lm.create(ModelConfig.tiny(), m, 1);
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
