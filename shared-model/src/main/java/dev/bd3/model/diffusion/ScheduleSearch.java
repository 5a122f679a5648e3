package dev.bd3.model.diffusion;

import ai.djl.ndarray.NDManager;
import dev.bd3.model.nn.Bd3Lm;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The data-driven clipped schedule: on held-out batches, for each candidate interval, the variance
 * across blocks of the per-block NELBO, summed over batches; the interval with the lowest sum wins.
 */
public final class ScheduleSearch {
  private ScheduleSearch() {}

  /** The variance sum of every candidate, in the candidates' order. */
  public static double[] variances(
      Bd3Lm model,
      List<long[]> batches,
      int batchSize,
      List<ClippedSchedule> candidates,
      long seed,
      NDManager parent) {
    int length = model.config().contextLength();
    int blockSize = model.config().blockSize();
    double[] out = new double[candidates.size()];
    for (int c = 0; c < candidates.size(); c++) {
      SplittableRandom random = new SplittableRandom(seed);
      for (long[] x0 : batches) {
        NoisedBatch batch =
            NoisedBatch.noise(x0, batchSize, model.config(), candidates.get(c), false, random);
        float[] terms;
        try (NDManager m = parent.newSubManager()) {
          terms = Nelbo.tokenTerms(model, batch, m, false).toFloatArray();
        }
        out[c] += variance(Nelbo.blockMeans(terms, batchSize, length, blockSize));
      }
    }
    return out;
  }

  /** The candidate with the lowest variance sum. */
  public static ClippedSchedule best(List<ClippedSchedule> candidates, double[] variances) {
    int best = 0;
    for (int i = 1; i < variances.length; i++) {
      if (variances[i] < variances[best]) {
        best = i;
      }
    }
    return candidates.get(best);
  }

  /** Population variance. */
  public static double variance(double[] xs) {
    double mean = 0;
    for (double x : xs) {
      mean += x / xs.length;
    }
    double v = 0;
    for (double x : xs) {
      v += (x - mean) * (x - mean) / xs.length;
    }
    return v;
  }
}
