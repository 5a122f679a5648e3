package dev.bd3.model.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bd3.model.nn.ModelConfig;
import java.util.SplittableRandom;

/**
 * A batch after the forward process: clean x_0 and noised x_t, both (B, L), and the NELBO weight of
 * every token: 1 / t_b where the token is masked, 0 elsewhere (unmasked tokens carry no loss).
 *
 * @param t the noise level of every block, row-major (B, L / L')
 */
public record NoisedBatch(
    long[] x0, long[] xt, float[] weights, double[] t, int batch, int length, int blockSize) {

  /**
   * Masks each token of block b independently with probability t_b (x_t holds {@code mask} there,
   * the model's MASK id). BOS (position 0) is never masked. With {@code boundedFraction}, a block's
   * mask is drawn again (up to 100 times) until its masked fraction lies in [low, high] of {@code
   * schedule}: the reference's refinement. As there, only a bound that clips is enforced: a low end
   * of 1e-3 or a high end of 1 is the plain schedule's own, and redrawing against it would force a
   * mask on blocks drawn with none, weighted 1 / t at small t (biased, and a large variance).
   */
  public static NoisedBatch noise(
      long[] x0,
      int batch,
      int length,
      int blockSize,
      int mask,
      ClippedSchedule schedule,
      boolean boundedFraction,
      SplittableRandom random) {
    int blocks = length / blockSize;
    double[] t = schedule.sample(batch, blocks, random.nextDouble());
    long[] xt = x0.clone();
    float[] weights = new float[x0.length];
    boolean[] masked = new boolean[blockSize];
    for (int n = 0; n < batch; n++) {
      for (int b = 0; b < blocks; b++) {
        double tb = t[n * blocks + b];
        int from = n * length + b * blockSize;
        drawMask(masked, from - n * length, tb, schedule, boundedFraction, random);
        for (int i = 0; i < blockSize; i++) {
          if (masked[i]) {
            xt[from + i] = mask;
            weights[from + i] = (float) (1 / tb);
          }
        }
      }
    }
    return new NoisedBatch(x0, xt, weights, t, batch, length, blockSize);
  }

  /** As {@link #noise}, for sequences of {@code model} (its L, L' and MASK). */
  public static NoisedBatch noise(
      long[] x0,
      int batch,
      ModelConfig model,
      ClippedSchedule schedule,
      boolean boundedFraction,
      SplittableRandom random) {
    return noise(
        x0,
        batch,
        model.contextLength(),
        model.blockSize(),
        model.mask(),
        schedule,
        boundedFraction,
        random);
  }

  private static void drawMask(
      boolean[] masked,
      int firstPosition,
      double t,
      ClippedSchedule schedule,
      boolean bounded,
      SplittableRandom random) {
    for (int attempt = 0; ; attempt++) {
      int count = 0;
      int eligible = 0;
      for (int i = 0; i < masked.length; i++) {
        boolean bos = firstPosition + i == 0;
        masked[i] = !bos && random.nextDouble() < t;
        count += masked[i] ? 1 : 0;
        eligible += bos ? 0 : 1;
      }
      double fraction = eligible == 0 ? 0 : (double) count / eligible;
      boolean inside =
          (!clipsLow(schedule) || fraction >= schedule.low())
              && (!clipsHigh(schedule) || fraction <= schedule.high());
      if (!bounded || inside || eligible == 0 || attempt == 99) {
        return;
      }
    }
  }

  private static boolean clipsLow(ClippedSchedule s) {
    return s.low() > ClippedSchedule.FULL.low();
  }

  private static boolean clipsHigh(ClippedSchedule s) {
    return s.high() < ClippedSchedule.FULL.high();
  }

  /** Tokens that count in the NELBO average: all but BOS. */
  public int scoredTokens() {
    return batch * (length - 1);
  }

  public NDArray cleanArray(NDManager m) {
    return m.create(x0, new Shape(batch, length));
  }

  public NDArray noisyArray(NDManager m) {
    return m.create(xt, new Shape(batch, length));
  }

  public NDArray weightArray(NDManager m) {
    return m.create(weights, new Shape(batch, length));
  }
}
