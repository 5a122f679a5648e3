package dev.bd3.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import java.util.List;
import java.util.Map;

/**
 * adaLN-Zero's map from the conditioning vector c to {@code parts} vectors of width D (shift, scale
 * and gate for attention and for the MLP in a layer; shift and scale before the output layer). Zero
 * at start, so every layer begins as the identity and the output layer as a plain norm. Shapes: c
 * (N, C) -> parts x (N, 1, D), broadcast over the tokens.
 */
public final class Modulation extends ModelBlock {
  private final int parts;
  private final Parameter weight; // (parts D, C)
  private final Parameter bias; // (parts D)

  Modulation(int cond, int width, int parts) {
    this.parts = parts;
    weight = addParameter(Weights.linear("weight", parts * width, cond, Initializer.ZEROS));
    bias =
        addParameter(Weights.vector("bias", Parameter.Type.BIAS, parts * width, Initializer.ZEROS));
  }

  /** The vectors for c, in the reference's order. */
  NDList forward(NDArray c) {
    return Linear.linear(c, weight.getArray(), bias.getArray())
        .head()
        .expandDims(1)
        .split(parts, 2);
  }

  /** x (1 + scale) + shift, the modulated norm. */
  static NDArray modulate(NDArray x, NDArray shift, NDArray scale) {
    return x.add(x.mul(scale)).add(shift);
  }

  /** Its weights under the reference's names: {@code adaLN_modulation}. */
  void name(String prefix, Map<String, Parameter> out) {
    out.put(prefix + "adaLN_modulation.weight", weight);
    out.put(prefix + "adaLN_modulation.bias", bias);
  }

  /** weight (parts D, C), bias (parts D). */
  List<NDArray> weights() {
    return List.of(weight.getArray(), bias.getArray());
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    return forward(inputs.head());
  }
}
