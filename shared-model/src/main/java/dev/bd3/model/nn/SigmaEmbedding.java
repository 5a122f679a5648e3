package dev.bd3.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;
import java.util.Map;

/**
 * The conditioning vector c of adaLN-Zero, the reference's {@code silu(sigma_map(sigma))}: the
 * noise level sigma of each sequence as 256 sinusoidal features (cos then sin of sigma
 * 10000^(-i/128)), then Linear, SiLU, Linear and a last SiLU. Without time conditioning sigma is 0,
 * so c is a learned constant. Shapes: sigma (N) -> c (N, C).
 */
public final class SigmaEmbedding extends ModelBlock {
  static final int FREQUENCIES = 256;
  private static final double MAX_PERIOD = 10_000;

  private final Parameter inWeight; // (C, 256)
  private final Parameter inBias; // (C)
  private final Parameter outWeight; // (C, C)
  private final Parameter outBias; // (C)
  private volatile NDArray frequencies;

  SigmaEmbedding(int cond) {
    inWeight = addParameter(Weights.linear("in", cond, FREQUENCIES, Weights.fanIn(FREQUENCIES)));
    inBias = addParameter(Weights.bias("inBias", cond, FREQUENCIES));
    outWeight = addParameter(Weights.linear("out", cond, cond, Weights.fanIn(cond)));
    outBias = addParameter(Weights.bias("outBias", cond, cond));
  }

  /** c for noise levels sigma (N): (N, C). */
  NDArray forward(NDArray sigma) {
    NDArray args =
        sigma.toType(DataType.FLOAT32, false).expandDims(1).mul(frequencies()); // (N, 128)
    NDArray features = args.cos().concat(args.sin(), 1); // (N, 256)
    NDArray h = silu(Linear.linear(features, inWeight.getArray(), inBias.getArray()).head());
    return silu(Linear.linear(h, outWeight.getArray(), outBias.getArray()).head());
  }

  /** Its weights under the reference's names: {@code sigma_map.mlp.0} and {@code .2}. */
  void name(String prefix, Map<String, Parameter> out) {
    out.put(prefix + "mlp.0.weight", inWeight);
    out.put(prefix + "mlp.0.bias", inBias);
    out.put(prefix + "mlp.2.weight", outWeight);
    out.put(prefix + "mlp.2.bias", outBias);
  }

  /** in (C, 256), its bias, out (C, C), its bias. */
  List<NDArray> weights() {
    return List.of(
        inWeight.getArray(), inBias.getArray(), outWeight.getArray(), outBias.getArray());
  }

  static NDArray silu(NDArray x) {
    return x.mul(Activation.sigmoid(x));
  }

  /** 10000^(-i / 128) for i < 128, made once and kept with the weights. */
  private NDArray frequencies() {
    NDArray f = frequencies;
    if (f == null) {
      int half = FREQUENCIES / 2;
      float[] values = new float[half];
      for (int i = 0; i < half; i++) {
        values[i] = (float) Math.exp(-Math.log(MAX_PERIOD) * i / half);
      }
      NDManager m = inWeight.getArray().getManager();
      f = m.create(values);
      frequencies = f;
    }
    return f;
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    return new NDList(forward(inputs.head()));
  }
}
