package dev.bd3.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.initializer.Initializer;

/** LayerNorm over the last axis with a learned scale and no bias, as in the reference DiT. */
public final class BiaslessLayerNorm extends ModelBlock.Unary {
  private static final float EPS = 1e-5f;
  private final int width;
  private final Parameter scale;
  private volatile NDArray noBias;

  BiaslessLayerNorm(int width) {
    this.width = width;
    this.scale =
        addParameter(Weights.vector("scale", Parameter.Type.GAMMA, width, Initializer.ONES));
  }

  @Override
  public NDArray forward(NDArray x) {
    return LayerNorm.layerNorm(x, new Shape(width), scale.getArray(), noBias(), EPS).head();
  }

  /** The learned scale (D) as the parameter the reference calls {@code weight}. */
  Parameter parameter() {
    return scale;
  }

  /** The learned scale (D). */
  NDArray weight() {
    return scale.getArray();
  }

  /** DJL's layerNorm wants a bias: zeros, made once and kept with the weights. */
  private NDArray noBias() {
    NDArray zeros = noBias;
    if (zeros == null) {
      zeros = scale.getArray().getManager().zeros(new Shape(width));
      noBias = zeros;
    }
    return zeros;
  }
}
