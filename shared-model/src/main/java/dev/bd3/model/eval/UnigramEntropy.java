package dev.bd3.model.eval;

import java.util.HashMap;
import java.util.Map;

/** Entropy (nats) of the empirical unigram distribution of a token sequence. */
public final class UnigramEntropy {
  private UnigramEntropy() {}

  public static double of(int[] tokens) {
    return of(tokens, 0, tokens.length);
  }

  /** Over tokens[from, to). */
  public static double of(int[] tokens, int from, int to) {
    int n = to - from;
    if (n <= 0) {
      return 0;
    }
    Map<Integer, Integer> counts = new HashMap<>();
    for (int i = from; i < to; i++) {
      counts.merge(tokens[i], 1, Integer::sum);
    }
    double h = 0;
    for (int c : counts.values()) {
      double p = (double) c / n;
      h -= p * Math.log(p);
    }
    return h;
  }
}
