package dev.bd3.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Rotary position embeddings (rotate-half form). Attention scores then depend only on relative
 * positions, so the clean half of the vectorised input restarts at position 0 and generation may
 * run past the training context with a sliding KV cache.
 */
public final class RotaryEmbedding {
  private static final double BASE = 10_000;

  private RotaryEmbedding() {}

  /** Cosines and sines of the rotation angles for positions (T): two (T, hd/2) arrays. */
  public static NDList angles(NDArray positions, int headSize) {
    NDManager m = positions.getManager();
    float[] inverse = new float[headSize / 2];
    for (int i = 0; i < inverse.length; i++) {
      inverse[i] = (float) Math.pow(BASE, -2.0 * i / headSize);
    }
    NDArray theta =
        positions
            .toType(DataType.FLOAT32, false)
            .expandDims(1)
            .matMul(m.create(inverse).expandDims(0));
    return new NDList(theta.cos(), theta.sin()); // (T, hd/2) each
  }

  /** Rotates queries or keys x (B, H, T, hd) by the angles of their positions. */
  public static NDArray apply(NDArray x, NDList angles) {
    NDArray cos = angles.get(0);
    NDArray sin = angles.get(1);
    NDList halves = x.split(2, 3); // (B, H, T, hd/2) each
    NDArray x1 = halves.get(0);
    NDArray x2 = halves.get(1);
    return x1.mul(cos).sub(x2.mul(sin)).concat(x2.mul(cos).add(x1.mul(sin)), 3);
  }
}
