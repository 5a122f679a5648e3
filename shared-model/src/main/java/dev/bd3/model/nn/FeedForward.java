package dev.bd3.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.NormalInitializer;

/** The position-wise MLP: D -> mlpRatio D -> GELU -> D. */
public final class FeedForward extends ModelBlock.Unary {
  private final Parameter upWeight;
  private final Parameter upBias;
  private final Parameter downWeight;
  private final Parameter downBias;

  FeedForward(ModelConfig config) {
    int d = config.width();
    int hidden = config.mlpRatio() * d;
    upWeight = addParameter(Weights.linear("up", hidden, d, new NormalInitializer(0.02f)));
    upBias = addParameter(Weights.vector("upBias", Parameter.Type.BIAS, hidden, Initializer.ZEROS));
    downWeight = addParameter(Weights.linear("down", d, hidden, Weights.residualInit(config)));
    downBias = addParameter(Weights.vector("downBias", Parameter.Type.BIAS, d, Initializer.ZEROS));
  }

  /** x (B, T, D) -> (B, T, D). */
  @Override
  public NDArray forward(NDArray x) {
    NDArray h = Activation.gelu(Linear.linear(x, upWeight.getArray(), upBias.getArray()).head());
    return Linear.linear(h, downWeight.getArray(), downBias.getArray()).head();
  }
}
