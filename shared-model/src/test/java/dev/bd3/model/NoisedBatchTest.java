package dev.bd3.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.diffusion.NoisedBatch;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The forward process, and the bounded-fraction redraw enforcing only the bounds that clip. */
class NoisedBatchTest {
  private static final int BATCH = 64;
  private static final int LENGTH = 128;
  private static final int BLOCK = 4;

  @Test
  void onThePlainIntervalTheRedrawChangesNothing() {
    long[] x0 = clean();
    for (int seed = 0; seed < 20; seed++) {
      NoisedBatch plain = noise(x0, ClippedSchedule.FULL, false, seed);
      NoisedBatch bounded = noise(x0, ClippedSchedule.FULL, true, seed);
      assertArrayEquals(plain.xt(), bounded.xt(), "seed " + seed);
    }
  }

  /**
   * The NELBO weights each masked token by 1 / t: unbiased only if the masked count of a block is t
   * times its tokens on average. On [1e-3, 1] a redraw of blocks drawn with nothing masked would
   * force a token weighted 1000 at t = 1e-3.
   */
  @Test
  void theMaskedCountOverTStaysUnbiasedWhereTheLowEndIsThePlainOne() {
    long[] x0 = clean();
    for (ClippedSchedule s :
        new ClippedSchedule[] {ClippedSchedule.FULL, new ClippedSchedule(1e-3, 0.5)}) {
      double sum = 0;
      int blocks = 0;
      int emptyBlocks = 0;
      for (int seed = 0; seed < 50; seed++) {
        NoisedBatch b = noise(x0, s, true, seed);
        for (int k = 0; k < b.t().length; k++) {
          int masked = maskedIn(b, k);
          int eligible = k % (LENGTH / BLOCK) == 0 ? BLOCK - 1 : BLOCK; // BOS is never masked
          double fraction = (double) masked / eligible;
          assertTrue(fraction <= s.high(), "fraction " + fraction + " above " + s.high());
          emptyBlocks += masked == 0 ? 1 : 0;
          if (s.high() == 1) {
            sum += masked / (b.t()[k] * eligible);
            blocks++;
          }
        }
      }
      assertTrue(emptyBlocks > 1000, "blocks drawn with nothing masked stay so: " + emptyBlocks);
      if (s.high() == 1) {
        assertEquals(1.0, sum / blocks, 0.03, "mean of masked / (t n) over " + blocks + " blocks");
      }
    }
  }

  @Test
  void aClippingLowEndIsEnforced() {
    ClippedSchedule s = new ClippedSchedule(0.45, 0.95);
    NoisedBatch b = noise(clean(), s, true, 3);
    for (int k = 0; k < b.t().length; k++) {
      int eligible = k % (LENGTH / BLOCK) == 0 ? BLOCK - 1 : BLOCK;
      double fraction = (double) maskedIn(b, k) / eligible;
      assertTrue(fraction >= 0.45 && fraction <= 0.95, "block " + k + ": " + fraction);
    }
  }

  private static int maskedIn(NoisedBatch b, int block) {
    int masked = 0;
    for (int i = block * BLOCK; i < (block + 1) * BLOCK; i++) {
      masked += b.xt()[i] == Fixtures.BYTES.mask() ? 1 : 0;
    }
    return masked;
  }

  private static NoisedBatch noise(long[] x0, ClippedSchedule s, boolean bounded, long seed) {
    return NoisedBatch.noise(
        x0, BATCH, LENGTH, BLOCK, Fixtures.BYTES.mask(), s, bounded, new SplittableRandom(seed));
  }

  private static long[] clean() {
    long[] x0 = new long[BATCH * LENGTH];
    for (int i = 0; i < x0.length; i++) {
      x0[i] = i % LENGTH == 0 ? Fixtures.BYTES.bos() : 'a' + i % 26;
    }
    return x0;
  }
}
