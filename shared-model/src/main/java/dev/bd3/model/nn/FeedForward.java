package dev.bd3.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import java.util.List;

/** The position-wise MLP: D -> mlpRatio D -> GELU -> D. */
public final class FeedForward extends ModelBlock.Unary {
  private final Parameter upWeight;
  private final Parameter upBias;
  private final Parameter downWeight;
  private final Parameter downBias;

  FeedForward(ModelConfig config) {
    int d = config.width();
    int hidden = config.mlpRatio() * d;
    upWeight = addParameter(Weights.linear("up", hidden, d, Weights.fanIn(d)));
    upBias = addParameter(Weights.vector("upBias", Parameter.Type.BIAS, hidden, Weights.fanIn(d)));
    downWeight = addParameter(Weights.linear("down", d, hidden, Weights.fanIn(hidden)));
    downBias =
        addParameter(Weights.vector("downBias", Parameter.Type.BIAS, d, Weights.fanIn(hidden)));
  }

  /** up (4D, D), its bias, down (D, 4D), its bias. */
  List<NDArray> weights() {
    return List.of(
        upWeight.getArray(), upBias.getArray(), downWeight.getArray(), downBias.getArray());
  }

  /** x (B, T, D) -> (B, T, D). */
  @Override
  public NDArray forward(NDArray x) {
    NDArray h = Activation.gelu(Linear.linear(x, upWeight.getArray(), upBias.getArray()).head());
    return Linear.linear(h, downWeight.getArray(), downBias.getArray()).head();
  }
}
