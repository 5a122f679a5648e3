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
    Integer[] order = new Integer[p.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
    double mass = p[order[0]];
    int kept = 1;
    while (kept < order.length && mass + p[order[kept]] <= topP) {
      mass += p[order[kept++]];
    }
    for (int i = kept; i < order.length; i++) {
      out[order[i]] = 0;
    }
    for (int i = 0; i < out.length; i++) {
      out[i] /= mass;
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
