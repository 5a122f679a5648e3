package dev.bd3.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

/**
 * Copies one array's values into another in place, as a tensor operation. DJL's {@code copyTo}
 * reads the source into a Java buffer and writes it back through a libtorch guard that is
 * deprecated and prints a warning on first use; this stays on the device and prints nothing.
 *
 * <p>The write goes through a detached view of the target (same storage, no autograd history):
 * libtorch's grad mode is per thread and on by default in a worker's threads, where writing in
 * place into a trainable leaf (a parameter) is refused.
 */
public final class DeviceCopy {
  private static final NDIndex ALL = new NDIndex("...");

  private DeviceCopy() {}

  /** {@code to[...] = from}; both of one shape (from may live on another device). */
  public static void into(NDArray from, NDArray to) {
    if (!from.getShape().equals(to.getShape())) {
      throw new IllegalArgumentException(
          "cannot copy " + from.getShape() + " into " + to.getShape());
    }
    try (NDArray storage = to.stopGradient()) {
      storage.set(ALL, from);
    }
  }
}
