package dev.bd3.model.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.model.data.Tokenizer;
import dev.bd3.model.spec.SamplerRule;
import dev.bd3.model.spec.Vocabulary;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The denoising rules' statistics, on a fixed p_theta (token 'a' everywhere). */
class DenoisingRuleTest {
  private static final Tokenizer BYTES = Tokenizer.of(Vocabulary.BYTES);

  private static final int BLOCK = 16;

  /** A draw straight from p. */
  private static final DenoisingRule.TokenDraw FROM_P =
      (x, j, p, random) -> Nucleus.draw(p, random);

  /**
   * From t = 1 - k / T to s = 1 - (k + 1) / T a masked token is unmasked with probability 1 - s /
   * t: counted over many blocks, per step, within 4 standard errors.
   */
  @Test
  void ddpmUnmasksTheFractionOneMinusSOverTAtEveryStep() {
    int total = 8;
    DenoisingRule rule = DenoisingRule.of(config(SamplerRule.DDPM, total), BYTES.mask());
    SplittableRandom random = new SplittableRandom(11);
    long[] masked = new long[total];
    long[] unmasked = new long[total];
    for (int trial = 0; trial < 4000; trial++) {
      int[] x = maskedBlock();
      for (int k = 0; k < total; k++) {
        int before = count(x);
        rule.step(x, certain(), sure(), k, random, FROM_P);
        masked[k] += before;
        unmasked[k] += before - count(x);
      }
      assertEquals(0, count(x), "nothing is left masked at s = 0");
    }
    for (int k = 0; k < total - 1; k++) {
      double t = 1 - (double) k / total;
      double s = 1 - (double) (k + 1) / total;
      double expected = 1 - s / t;
      double observed = (double) unmasked[k] / masked[k];
      double se = Math.sqrt(expected * (1 - expected) / masked[k]);
      assertEquals(expected, observed, 4 * se, "step " + k);
    }
  }

  /** First hitting unmasks one position per step, chosen uniformly among the masked ones. */
  @Test
  void firstHittingChoosesAMaskedPositionUniformly() {
    DenoisingRule rule = DenoisingRule.of(config(SamplerRule.FIRST_HITTING, 1), BYTES.mask());
    SplittableRandom random = new SplittableRandom(3);
    int trials = 32_000;
    long[] chosen = new long[BLOCK];
    for (int trial = 0; trial < trials; trial++) {
      int[] x = maskedBlock();
      x[0] = 'z'; // position 0 is already unmasked and must never be chosen
      rule.step(x, certain(), sure(), 0, random, FROM_P);
      for (int j = 0; j < BLOCK; j++) {
        chosen[j] += x[j] == 'a' ? 1 : 0;
      }
      assertEquals(BLOCK - 2, count(x), "exactly one position per step");
    }
    assertEquals(0, chosen[0]);
    double expected = trials / (BLOCK - 1.0);
    for (int j = 1; j < BLOCK; j++) {
      assertEquals(expected, chosen[j], 4 * Math.sqrt(expected), "position " + j);
    }
  }

  /**
   * The parallel rule unmasks, each step, the k masked positions whose p_theta is most confident
   * (its largest probability), never one already unmasked, and draws their tokens.
   */
  @Test
  void parallelUnmasksTheMostConfidentPositions() {
    DenoisingRule rule = DenoisingRule.of(config(SamplerRule.PARALLEL, 1, 3), BYTES.mask());
    SplittableRandom random = new SplittableRandom(7);
    double[][] p = new double[BLOCK][BYTES.vocabSize()];
    double[] confidence = new double[BLOCK];
    for (int j = 0; j < BLOCK; j++) {
      confidence[j] = 0.5 + 0.03 * ((j * 7) % BLOCK); // distinct, scrambled, the largest p
      p[j]['a' + j % 20] = confidence[j];
      p[j]['z'] = 1 - confidence[j];
    }
    int[] x = maskedBlock();
    x[5] = 'q'; // unmasked already: the most confident position of all, never to change
    p[5]['a' + 5] = 0.99;
    p[5]['z'] = 0.01;
    for (int k = 0; count(x) > 0; k++) {
      int[] before = x.clone();
      rule.step(x, p, confidence, k, random, FROM_P);
      List<Integer> expected = new ArrayList<>();
      for (int j = 0; j < BLOCK; j++) {
        if (before[j] == BYTES.mask()) {
          expected.add(j);
        }
      }
      expected.sort((a, b) -> Double.compare(confidence[b], confidence[a]));
      List<Integer> chosen = expected.subList(0, Math.min(3, expected.size()));
      for (int j = 0; j < BLOCK; j++) {
        if (before[j] != BYTES.mask()) {
          assertEquals(before[j], x[j], "unmasked position " + j + " changed at step " + k);
        } else {
          assertEquals(chosen.contains(j), x[j] != BYTES.mask(), "position " + j + ", step " + k);
        }
      }
    }
    assertEquals('q', x[5]);
  }

  /**
   * The threshold rule commits, each step, every masked position whose largest probability reaches
   * the threshold, or the single most confident one when none does; unmasked positions never
   * change. Confidences that rise as positions are committed (as context sharpens p_theta) make a
   * block take fewer steps than L'.
   */
  @Test
  void thresholdCommitsEverySurePositionAndAtLeastOne() {
    double threshold = 0.8;
    DenoisingRule rule =
        DenoisingRule.of(
            new SamplerConfig(
                SamplerRule.THRESHOLD, 1, 1.0, 1.0, 1, threshold, 64, false, 0, 256, 1, false),
            BYTES.mask());
    SplittableRandom random = new SplittableRandom(5);
    double[] confidence = new double[BLOCK];
    for (int j = 0; j < BLOCK; j++) {
      confidence[j] = 0.3 + 0.04 * ((j * 5) % BLOCK); // 0.3 .. 0.9, distinct
    }
    int[] x = maskedBlock();
    x[9] = 'q';
    int steps = 0;
    while (count(x) > 0) {
      double[][] p = new double[BLOCK][BYTES.vocabSize()];
      for (int j = 0; j < BLOCK; j++) {
        p[j]['a'] = confidence[j];
        p[j]['z'] = 1 - confidence[j];
      }
      int[] before = x.clone();
      rule.step(x, p, confidence, steps, random, FROM_P);
      List<Integer> sure = new ArrayList<>();
      int best = -1;
      for (int j = 0; j < BLOCK; j++) {
        if (before[j] == BYTES.mask()) {
          if (confidence[j] >= threshold) {
            sure.add(j);
          }
          if (best < 0 || confidence[j] > confidence[best]) {
            best = j;
          }
        }
      }
      List<Integer> expected = sure.isEmpty() ? List.of(best) : sure;
      for (int j = 0; j < BLOCK; j++) {
        if (before[j] != BYTES.mask()) {
          assertEquals(before[j], x[j], "unmasked position " + j + " changed at step " + steps);
        } else {
          assertEquals(expected.contains(j), x[j] != BYTES.mask(), "position " + j);
        }
      }
      for (int j = 0; j < BLOCK; j++) {
        confidence[j] = Math.min(1, confidence[j] + 0.1); // context sharpens the rest
      }
      steps++;
    }
    assertEquals('q', x[9]);
    assertTrue(steps > 1 && steps < BLOCK - 1, "between one step and one per position: " + steps);
  }

  private static SamplerConfig config(SamplerRule kind, int steps) {
    return config(kind, steps, 1);
  }

  private static SamplerConfig config(SamplerRule kind, int steps, int perStep) {
    return new SamplerConfig(kind, steps, 1.0, 1.0, perStep, 0.9, 64, false, 0, 256, 1, false);
  }

  private static int[] maskedBlock() {
    int[] x = new int[BLOCK];
    Arrays.fill(x, BYTES.mask());
    return x;
  }

  /** p_theta certain of 'a' at every position. */
  /** Every position's confidence 1, as {@link #certain()} gives. */
  private static double[] sure() {
    double[] c = new double[BLOCK];
    Arrays.fill(c, 1);
    return c;
  }

  private static double[][] certain() {
    double[][] p = new double[BLOCK][BYTES.vocabSize()];
    for (double[] row : p) {
      row['a'] = 1;
    }
    return p;
  }

  private static int count(int[] x) {
    int n = 0;
    for (int id : x) {
      n += id == BYTES.mask() ? 1 : 0;
    }
    return n;
  }
}
