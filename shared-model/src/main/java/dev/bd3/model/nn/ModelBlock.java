package dev.bd3.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A block of the model. Every weight has a fixed shape from the configuration, so children are
 * initialised as they are; a block's output has its input's shape unless it says otherwise.
 */
abstract class ModelBlock extends AbstractBlock {

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    for (Block child : getChildren().values()) {
      child.initialize(manager, dataType, inputShapes);
    }
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return inputShapes;
  }

  /** A block of one input and one output, x (B, T, D) -> (B, T, D). */
  abstract static class Unary extends ModelBlock {
    abstract NDArray forward(NDArray x);

    @Override
    protected NDList forwardInternal(
        ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
      return new NDList(forward(inputs.head()));
    }
  }
}
