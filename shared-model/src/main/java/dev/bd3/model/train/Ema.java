package dev.bd3.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.bd3.model.nn.DeviceCopy;
import java.util.List;

/**
 * Exponential moving average of the weights, used for evaluation and sampling. The decay warms up
 * as min(decay, (1 + n) / (10 + n)) after n updates, so that short runs get a useful average too
 * (with 0.9999 and a few hundred steps the plain average would still be the initial weights).
 */
public final class Ema implements AutoCloseable {
  private final List<Parameter> parameters;
  private final NDManager manager;
  private final NDArray[] shadow;
  private final double decay;
  private long updates;

  public Ema(List<Parameter> parameters, double decay, NDManager parent) {
    this.parameters = parameters;
    this.decay = decay;
    this.manager = parent.newSubManager();
    shadow = new NDArray[parameters.size()];
    for (int i = 0; i < shadow.length; i++) {
      shadow[i] = parameters.get(i).getArray().duplicate();
      shadow[i].attach(manager);
    }
  }

  /** The decay applied at the next update. */
  public double currentDecay() {
    long n = updates + 1; // the reference counts this update before it computes the decay
    return Math.min(decay, (1.0 + n) / (10.0 + n));
  }

  public void update() {
    double d = currentDecay();
    for (int i = 0; i < shadow.length; i++) {
      try (NDArray scaled = parameters.get(i).getArray().mul(1 - d)) {
        shadow[i].muli(d).addi(scaled);
      }
    }
    updates++;
  }

  public long updates() {
    return updates;
  }

  public NDList state() {
    return new NDList(shadow);
  }

  public void restore(NDList state, long updates) {
    for (int i = 0; i < shadow.length; i++) {
      DeviceCopy.into(state.get(i), shadow[i]);
    }
    this.updates = updates;
  }

  /** Copies the averaged weights into the model; returns the raw weights to put back later. */
  public NDList swapIn(NDManager holder) {
    NDList raw = new NDList();
    for (int i = 0; i < shadow.length; i++) {
      NDArray w = parameters.get(i).getArray();
      NDArray copy = w.duplicate();
      copy.attach(holder);
      raw.add(copy);
      DeviceCopy.into(shadow[i], w);
    }
    return raw;
  }

  /** Puts back the raw weights returned by {@link #swapIn}. */
  public void swapOut(NDList raw) {
    for (int i = 0; i < shadow.length; i++) {
      DeviceCopy.into(raw.get(i), parameters.get(i).getArray());
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
