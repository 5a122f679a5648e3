package dev.bd3.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embeddings (rotate-half form): x' = x cos(theta) + rotate(x) sin(theta), with
 * rotate(x) = [-x2, x1] for the two halves of each head. Attention scores then depend only on
 * relative positions, so the clean half of the vectorised input restarts at position 0 and
 * generation may run past the training context with a sliding KV cache.
 */
public final class RotaryEmbedding {
  private static final double BASE = 10_000;

  private RotaryEmbedding() {}

  /**
   * The rotation for positions (T): cos and sin of the angles, each (T, hd) with both halves equal,
   * and the (hd, hd) matrix of rotate(x) = x R. Computed once per forward, for all layers.
   */
  public static NDList angles(NDArray positions, int headSize) {
    NDManager m = positions.getManager();
    int half = headSize / 2;
    float[] rotate = new float[headSize * headSize];
    for (int i = 0; i < half; i++) {
      rotate[(half + i) * headSize + i] = -1; // out[i] = -x[half + i]
      rotate[i * headSize + half + i] = 1; // out[half + i] = x[i]
    }
    NDArray theta =
        positions
            .toType(DataType.FLOAT32, false)
            .expandDims(1)
            .mul(m.create(inverseFrequencies(headSize))); // (T, hd)
    return new NDList(theta.cos(), theta.sin(), m.create(rotate, new Shape(headSize, headSize)));
  }

  /** BASE^(-2i / hd) for each pair i, both halves of a head alike: (hd). */
  static float[] inverseFrequencies(int headSize) {
    int half = headSize / 2;
    float[] inverse = new float[headSize];
    for (int i = 0; i < half; i++) {
      inverse[i] = (float) Math.pow(BASE, -2.0 * i / headSize);
      inverse[half + i] = inverse[i];
    }
    return inverse;
  }

  /** Rotates queries or keys x (..., T, hd) by the angles of their positions. */
  public static NDArray apply(NDArray x, NDList angles) {
    return x.mul(angles.get(0)).add(x.matMul(angles.get(2)).mul(angles.get(1)));
  }
}
