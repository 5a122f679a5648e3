package dev.bd3.model.diffusion;

/**
 * The attention mask of vectorised block-diffusion training, over the 2L tokens {@code [x_t ; x_0]}
 * (noisy half first). For index i, h(i) = 1 in the clean half, and b(i) = floor((i - L h(i)) / L')
 * is its block. Query q may attend to key k iff
 *
 * <ul>
 *   <li>M_BD (block diagonal): h(q) = h(k) and b(q) = b(k);
 *   <li>M_OBC (offset block-causal): h(q) = 0, h(k) = 1 and b(k) &lt; b(q);
 *   <li>M_BC (block-causal): h(q) = h(k) = 1 and b(k) &le; b(q).
 * </ul>
 *
 * Clean queries never see noisy keys. Masks are row-major boolean arrays, true = may attend.
 */
public final class BlockDiffusionMask {
  private BlockDiffusionMask() {}

  /** The definition: may query {@code q} attend to key {@code k} (both in [0, 2L))? */
  public static boolean allowed(int q, int k, int length, int blockSize) {
    boolean qClean = q >= length;
    boolean kClean = k >= length;
    int bq = (q - (qClean ? length : 0)) / blockSize;
    int bk = (k - (kClean ? length : 0)) / blockSize;
    boolean blockDiagonal = qClean == kClean && bq == bk;
    boolean offsetBlockCausal = !qClean && kClean && bk < bq;
    boolean blockCausal = qClean && kClean && bk <= bq;
    return blockDiagonal || offsetBlockCausal || blockCausal;
  }

  /** The whole (2L, 2L) mask. */
  public static boolean[] full(int length, int blockSize) {
    int n = 2 * length;
    boolean[] mask = new boolean[n * n];
    for (int q = 0; q < n; q++) {
      for (int k = 0; k < n; k++) {
        mask[q * n + k] = allowed(q, k, length, blockSize);
      }
    }
    return mask;
  }

  /** M_BD restricted to one half, (L, L): same block. */
  public static boolean[] blockDiagonal(int length, int blockSize) {
    return quadrant(length, blockSize, 0);
  }

  /** M_OBC, (L, L): noisy queries to the clean keys of strictly earlier blocks. */
  public static boolean[] offsetBlockCausal(int length, int blockSize) {
    return quadrant(length, blockSize, -1);
  }

  /** M_BC, (L, L): clean queries to clean keys of the same or earlier blocks. */
  public static boolean[] blockCausal(int length, int blockSize) {
    return quadrant(length, blockSize, 1);
  }

  /** Side by side: a (rows, colsA + colsB) mask from two (rows, cols) masks. */
  public static boolean[] concatColumns(boolean[] a, boolean[] b, int rows) {
    int ca = a.length / rows;
    int cb = b.length / rows;
    boolean[] out = new boolean[rows * (ca + cb)];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(a, r * ca, out, r * (ca + cb), ca);
      System.arraycopy(b, r * cb, out, r * (ca + cb) + ca, cb);
    }
    return out;
  }

  /** Block-wise comparison of key to query block: -1 strictly before, 0 equal, 1 at or before. */
  private static boolean[] quadrant(int length, int blockSize, int relation) {
    boolean[] mask = new boolean[length * length];
    for (int q = 0; q < length; q++) {
      for (int k = 0; k < length; k++) {
        int bq = q / blockSize;
        int bk = k / blockSize;
        mask[q * length + k] =
            switch (relation) {
              case -1 -> bk < bq;
              case 0 -> bk == bq;
              default -> bk <= bq;
            };
      }
    }
    return mask;
  }
}
