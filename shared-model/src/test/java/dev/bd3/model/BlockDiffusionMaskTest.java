package dev.bd3.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.bd3.model.diffusion.BlockDiffusionMask;
import org.junit.jupiter.api.Test;

class BlockDiffusionMaskTest {

  /** L = 4, L' = 2, worked out by hand from the three rules (rows: queries; 1 = may attend). */
  @Test
  void smallCaseMatchesHandWorkedMask() {
    String[] expected = {
      // x_t: b0 b0 b1 b1 | x_0: b0 b0 b1 b1
      "1100" + "0000", // noisy q0 (block 0): own noisy block only
      "1100" + "0000",
      "0011" + "1100", // noisy q2 (block 1): own noisy block + clean block 0
      "0011" + "1100",
      "0000" + "1100", // clean q0 (block 0): clean block 0
      "0000" + "1100",
      "0000" + "1111", // clean q2 (block 1): clean blocks 0..1
      "0000" + "1111",
    };
    boolean[] mask = BlockDiffusionMask.full(4, 2);
    for (int q = 0; q < 8; q++) {
      for (int k = 0; k < 8; k++) {
        assertEquals(expected[q].charAt(k) == '1', mask[q * 8 + k], "q=" + q + " k=" + k);
      }
    }
  }

  @Test
  void fullMaskIsTheQuadrantsPutTogether() {
    for (int[] lb : new int[][] {{8, 1}, {8, 2}, {12, 4}, {8, 8}}) {
      int l = lb[0];
      int b = lb[1];
      boolean[] noisyRows =
          BlockDiffusionMask.concatColumns(
              BlockDiffusionMask.blockDiagonal(l, b),
              BlockDiffusionMask.offsetBlockCausal(l, b),
              l);
      boolean[] cleanRows =
          BlockDiffusionMask.concatColumns(
              new boolean[l * l], BlockDiffusionMask.blockCausal(l, b), l);
      boolean[] composed = new boolean[4 * l * l];
      System.arraycopy(noisyRows, 0, composed, 0, 2 * l * l);
      System.arraycopy(cleanRows, 0, composed, 2 * l * l, 2 * l * l);
      assertArrayEquals(BlockDiffusionMask.full(l, b), composed, "L=" + l + " L'=" + b);
    }
  }

  @Test
  void cleanQueriesNeverSeeNoisyKeysAndBlockSizeOneIsCausal() {
    int l = 6;
    for (int b : new int[] {1, 2, 3, 6}) {
      for (int q = l; q < 2 * l; q++) {
        for (int k = 0; k < l; k++) {
          assertFalse(BlockDiffusionMask.allowed(q, k, l, b));
        }
      }
    }
    // L' = 1: noisy token i sees itself and the clean tokens before it: next-token prediction
    for (int q = 0; q < l; q++) {
      for (int k = 0; k < 2 * l; k++) {
        boolean expected = k == q || (k >= l && k - l < q);
        assertEquals(expected, BlockDiffusionMask.allowed(q, k, l, 1));
      }
    }
    // L' = L (MDLM): the noisy half sees all of itself and nothing clean
    for (int q = 0; q < l; q++) {
      for (int k = 0; k < 2 * l; k++) {
        assertEquals(k < l, BlockDiffusionMask.allowed(q, k, l, l));
      }
    }
  }
}
