package dev.bd3.model.diffusion;

import java.util.ArrayList;
import java.util.List;

/**
 * The linear noise schedule alpha_t = 1 - t with t drawn only from [low, high]. Each block of a
 * batch gets its own t, drawn antithetically: one u ~ U[0, 1] and t_k = (u + k) / (N B) for k = n B
 * + b, then scaled into the interval. Clipping the interval lowers the variance of the NELBO
 * estimate; [1e-3, 1] is the plain schedule.
 */
public record ClippedSchedule(double low, double high) {
  /** The default interval of the paper. */
  public static final ClippedSchedule FULL = new ClippedSchedule(1e-3, 1);

  /** Everything masked: for an autoregressive model (L' = 1) the NELBO is then its exact NLL. */
  public static final ClippedSchedule ALL_MASKED = new ClippedSchedule(1, 1);

  public ClippedSchedule {
    if (!(low > 0 && low <= high && high <= 1)) {
      throw new IllegalArgumentException(
          "need 0 < low <= high <= 1, got [" + low + ", " + high + "]");
    }
  }

  /**
   * One t per (sequence, block), row-major (n, blocks), antithetic from a single draw {@code u}.
   */
  public double[] sample(int n, int blocks, double u) {
    int count = n * blocks;
    double[] t = new double[count];
    for (int k = 0; k < count; k++) {
      double stratified = ((u + k) / count) % 1.0;
      t[k] = low + (high - low) * stratified;
    }
    return t;
  }

  /**
   * The reference search grid: [1e-3, 1] and every [max(s, 1e-3), s + w] for widths w in {0.5, ...,
   * 0.9} and starts s = 0, 0.05, ..., 1 - w: 36 intervals.
   */
  public static List<ClippedSchedule> referenceGrid() {
    List<ClippedSchedule> grid = new ArrayList<>();
    grid.add(FULL);
    for (int w = 5; w <= 9; w++) {
      for (int s = 0; s * 5 <= 100 - w * 10; s++) {
        double start = s * 0.05;
        grid.add(new ClippedSchedule(Math.max(round(start), 1e-3), round(start + w / 10.0)));
      }
    }
    return grid;
  }

  private static double round(double x) {
    return Math.round(x * 1e6) / 1e6;
  }

  @Override
  public String toString() {
    return "[" + low + ", " + high + "]";
  }
}
