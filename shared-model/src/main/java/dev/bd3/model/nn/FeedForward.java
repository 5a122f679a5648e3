package dev.bd3.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import java.util.List;
import java.util.Map;

/** The position-wise MLP: D -> mlpRatio D -> GELU (tanh form, as the reference) -> D. */
public final class FeedForward extends ModelBlock.Unary {
  private final Parameter upWeight;
  private final Parameter upBias;
  private final Parameter downWeight;
  private final Parameter downBias;
  private volatile NDArray[] gelu;

  FeedForward(ModelConfig config) {
    int d = config.width();
    int hidden = config.mlpRatio() * d;
    upWeight = addParameter(Weights.linear("up", hidden, d, Weights.fanIn(d)));
    upBias = addParameter(Weights.bias("upBias", hidden, d));
    downWeight = addParameter(Weights.linear("down", d, hidden, Weights.fanIn(hidden)));
    downBias = addParameter(Weights.bias("downBias", d, hidden));
  }

  /** Its weights under the reference's names: {@code mlp.0} (up) and {@code mlp.2} (down). */
  void name(String prefix, Map<String, Parameter> out) {
    out.put(prefix + "mlp.0.weight", upWeight);
    out.put(prefix + "mlp.0.bias", upBias);
    out.put(prefix + "mlp.2.weight", downWeight);
    out.put(prefix + "mlp.2.bias", downBias);
  }

  /** up (4D, D), its bias, down (D, 4D), its bias. */
  List<NDArray> weights() {
    return List.of(
        upWeight.getArray(), upBias.getArray(), downWeight.getArray(), downBias.getArray());
  }

  /** x (B, T, D) -> (B, T, D). */
  @Override
  public NDArray forward(NDArray x) {
    NDArray h = gelu(Linear.linear(x, upWeight.getArray(), upBias.getArray()).head());
    return Linear.linear(h, downWeight.getArray(), downBias.getArray()).head();
  }

  /**
   * GELU's tanh approximation, 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), written as the
   * equal x sigmoid(x (k1 + k2 x^2)) with k1 = 2 sqrt(2 / pi), k2 = 0.044715 k1: DJL binds only the
   * exact (erf) GELU.
   */
  private NDArray gelu(NDArray x) {
    NDArray[] k = constants();
    return x.mul(Activation.sigmoid(x.mul(x.square().mul(k[1]).add(k[0]))));
  }

  /** k1 and k2 as arrays kept with the weights (a scalar made per call may be freed early). */
  private NDArray[] constants() {
    NDArray[] k = gelu;
    if (k == null) {
      double k1 = 2 * Math.sqrt(2 / Math.PI);
      NDManager m = upWeight.getArray().getManager();
      k = new NDArray[] {m.create((float) k1), m.create((float) (0.044715 * k1))};
      gelu = k;
    }
    return k;
  }
}
