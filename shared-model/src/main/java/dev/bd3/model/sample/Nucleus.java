package dev.bd3.model.sample;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Drawing from a categorical distribution in float64, after nucleus (top-p) filtering. */
public final class Nucleus {
  private Nucleus() {}

  /**
   * The reference's nucleus rule: keeps the most likely ids while their cumulative mass stays at
   * most {@code topP} (the id whose mass crosses it is dropped), always the most likely one, and
   * renormalises; returns the filtered distribution (a new array).
   */
  public static double[] filter(double[] p, double topP) {
    double[] out = p.clone();
    if (topP >= 1) {
      return out;
    }
    // how many ids the rule keeps follows from the sorted values alone (a primitive sort: ids are
    // not boxed, which matters at a vocabulary of 50,257); ties are kept in id order
    double[] sorted = p.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    double mass = sorted[n - 1];
    int kept = 1;
    while (kept < n && mass + sorted[n - 1 - kept] <= topP) {
      mass += sorted[n - 1 - kept++];
    }
    double least = sorted[n - kept];
    int ties = kept;
    for (double x : p) {
      ties -= x > least ? 1 : 0;
    }
    for (int i = 0; i < out.length; i++) {
      boolean keep = p[i] > least || (p[i] == least && ties-- > 0);
      out[i] = keep ? out[i] / mass : 0;
    }
    return out;
  }

  /** One draw from {@code p} (which sums to 1). */
  public static int draw(double[] p, SplittableRandom random) {
    double u = random.nextDouble();
    double c = 0;
    int last = 0;
    for (int i = 0; i < p.length; i++) {
      if (p[i] > 0) {
        c += p[i];
        last = i;
        if (u < c) {
          return i;
        }
      }
    }
    return last; // rounding left u above the total
  }

  /** The largest probability: a position's confidence. */
  public static double max(double[] p) {
    double m = 0;
    for (double x : p) {
      m = Math.max(m, x);
    }
    return m;
  }
}
