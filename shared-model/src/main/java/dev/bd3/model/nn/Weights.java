package dev.bd3.model.nn;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.NormalInitializer;

/** Parameter factories shared by the layers. */
final class Weights {
  private Weights() {}

  /** A weight matrix (out, in) as {@code Linear.linear} expects it. */
  static Parameter linear(String name, int out, int in, Initializer init) {
    return Parameter.builder()
        .setName(name)
        .setType(Parameter.Type.WEIGHT)
        .optShape(new Shape(out, in))
        .optInitializer(init)
        .build();
  }

  static Parameter vector(String name, Parameter.Type type, int size, Initializer init) {
    return Parameter.builder()
        .setName(name)
        .setType(type)
        .optShape(new Shape(size))
        .optInitializer(init)
        .build();
  }

  /** Projections back into the residual stream shrink with depth (GPT-2). */
  static Initializer residualInit(ModelConfig config) {
    return new NormalInitializer((float) (0.02 / Math.sqrt(2.0 * config.layers())));
  }
}
