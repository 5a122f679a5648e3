package dev.bd3.model.nn;

import ai.djl.ndarray.NDArray;

/** Keys and values of one attention layer, each (B, H, S, hd). */
public record LayerKv(NDArray keys, NDArray values) {
  public long length() {
    return keys.getShape().get(2);
  }
}
