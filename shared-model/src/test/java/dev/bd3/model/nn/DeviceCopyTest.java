package dev.bd3.model.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class DeviceCopyTest {
  /**
   * On a thread of its own, as a worker's job runs: libtorch's grad mode is per thread and on by
   * default there, where an in-place write into a trainable leaf is refused.
   */
  @Test
  void copiesIntoAnArrayThatRequiresGradientAndKeepsItTrainable() throws Exception {
    // started here, not on the copying thread: the engine turns grad mode off where it starts
    Engine.getInstance();
    CompletableFuture.runAsync(
            DeviceCopyTest::copyIntoATrainableLeaf, job -> new Thread(job).start())
        .get();
  }

  private static void copyIntoATrainableLeaf() {
    try (NDManager m = Engine.getInstance().newBaseManager()) {
      NDArray weight = m.zeros(new Shape(2, 2));
      weight.setRequiresGradient(true);
      DeviceCopy.into(m.create(new float[] {1, 2, 3, 4}).reshape(2, 2), weight);
      assertArrayEquals(new float[] {1, 2, 3, 4}, weight.toFloatArray());
      assertTrue(weight.hasGradient(), "still a trainable leaf");
    }
  }

  @Test
  void refusesArraysOfDifferentShapes() {
    try (NDManager m = Engine.getInstance().newBaseManager()) {
      assertThrows(
          IllegalArgumentException.class,
          () -> DeviceCopy.into(m.zeros(new Shape(3)), m.zeros(new Shape(4))));
    }
  }
}
