package dev.bd3.model.data;

import java.util.SplittableRandom;

/**
 * Fixed-length training and evaluation sequences cut from a token stream. Every sequence starts
 * with BOS at position 0 (never masked, never scored), followed by {@code length - 1} tokens.
 */
public final class Windows {
  private Windows() {}

  /** {@code batch} windows at random offsets, as one row-major (batch, length) array. */
  public static long[] random(
      int[] stream, int bos, int batch, int length, SplittableRandom random) {
    int body = length - 1;
    if (stream.length <= body) {
      throw new IllegalArgumentException("the stream is shorter than one window");
    }
    long[] out = new long[batch * length];
    for (int b = 0; b < batch; b++) {
      int start = random.nextInt(stream.length - body);
      fill(out, b * length, bos, stream, start, body);
    }
    return out;
  }

  /** Number of non-overlapping windows the stream yields, at most {@code limit}. */
  public static int count(int[] stream, int length, int limit) {
    return Math.min(limit, stream.length / (length - 1));
  }

  /** Windows {@code first .. first+batch-1} of the stream cut into consecutive pieces. */
  public static long[] sequential(int[] stream, int bos, int first, int batch, int length) {
    int body = length - 1;
    long[] out = new long[batch * length];
    for (int b = 0; b < batch; b++) {
      fill(out, b * length, bos, stream, (first + b) * body, body);
    }
    return out;
  }

  private static void fill(long[] out, int at, int bos, int[] stream, int start, int body) {
    out[at] = bos;
    for (int i = 0; i < body; i++) {
      out[at + 1 + i] = stream[start + i];
    }
  }
}
