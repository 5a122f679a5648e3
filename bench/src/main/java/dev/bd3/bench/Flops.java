package dev.bd3.bench;

import dev.bd3.model.nn.ModelConfig;

/**
 * Floating-point operations of the vectorised training step as this implementation computes them:
 * matrix products only (2 per multiply-add), backward = 2 x forward.
 */
final class Flops {
  private Flops() {}

  /** Forward over [x_t ; x_0] for {@code batch} sequences. */
  static double forward(ModelConfig c, int batch) {
    double d = c.width();
    double l = c.contextLength();
    double lb = c.blockSize();
    double t = 2 * l; // tokens of the vectorised input
    double linear = 2 * t * d * (3 * d + d + 2 * c.mlpRatio() * d); // qkv, out, mlp
    double attention = 2 * 2 * d * (l * (lb + l) + l * l); // (QK^T and PV) noisy + clean queries
    double head = 2 * l * d * c.vocabSize(); // logits of the noisy half only
    return batch * (c.layers() * (linear + attention) + head);
  }

  static double trainingStep(ModelConfig c, int batch) {
    return 3 * forward(c, batch);
  }

  /** Matrix product rate of this machine: 2 n^3 over the median time of an (n x n) product. */
  static double matmulRate(ai.djl.ndarray.NDManager m, int n) throws Exception {
    ai.djl.ndarray.NDArray a = m.randomNormal(new ai.djl.ndarray.types.Shape(n, n));
    ai.djl.ndarray.NDArray b = m.randomNormal(new ai.djl.ndarray.types.Shape(n, n));
    double seconds =
        Timer.medianSeconds(
            3,
            15,
            () -> {
              try (ai.djl.ndarray.NDArray c = a.matMul(b)) {
                c.getFloat(0, 0);
              }
            });
    return 2.0 * n * n * n / seconds;
  }
}
