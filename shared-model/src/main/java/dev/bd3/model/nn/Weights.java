package dev.bd3.model.nn;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.UniformInitializer;

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

  /** A linear layer's bias, initialised as PyTorch does: U(-1 / sqrt(in), 1 / sqrt(in)). */
  static Parameter bias(String name, int size, int in) {
    return vector(name, Parameter.Type.BIAS, size, fanIn(in));
  }

  /**
   * U(-1 / sqrt(in), 1 / sqrt(in)): PyTorch's default for a linear layer and the reference's for
   * every matrix but the output layer. It keeps the initial attention logits at the same scale at
   * every width; a fixed N(0, 0.02) matches it only near width 768 and at width 128 makes them six
   * times smaller, which stretches the plateau before attention learns to read neighbours
   * (bench/run plateau).
   */
  static Initializer fanIn(int in) {
    return new UniformInitializer((float) (1 / Math.sqrt(in)));
  }
}
