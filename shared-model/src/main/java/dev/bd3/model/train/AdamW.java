package dev.bd3.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.bd3.model.nn.DeviceCopy;
import java.util.List;

/**
 * AdamW with decoupled weight decay and gradient clipping by global norm. Written out rather than
 * taken from DJL's optimisers so that its moments can be saved in a checkpoint and restored exactly
 * on resume. Moments live in the optimiser's own manager; everything temporary in the step's.
 */
public final class AdamW implements AutoCloseable {
  private final List<Parameter> parameters;
  private final NDManager manager;
  private final NDArray[] first; // m
  private final NDArray[] second; // v
  private long updates;

  public AdamW(List<Parameter> parameters, NDManager parent) {
    this.parameters = parameters;
    this.manager = parent.newSubManager();
    first = new NDArray[parameters.size()];
    second = new NDArray[parameters.size()];
    for (int i = 0; i < first.length; i++) {
      first[i] = manager.zeros(parameters.get(i).getArray().getShape());
      second[i] = manager.zeros(parameters.get(i).getArray().getShape());
    }
  }

  /** Updates taken so far (the bias correction's t). */
  public long updates() {
    return updates;
  }

  /**
   * Clips the gradients to {@code clip} total norm (0 = no clipping), applies one AdamW update and
   * zeroes the gradients. Returns the gradient norm before clipping.
   */
  public double step(TrainingConfig c, double learningRate, NDManager step) {
    NDArray[] grads = new NDArray[parameters.size()];
    double sumSquares = 0;
    for (int i = 0; i < grads.length; i++) {
      grads[i] = parameters.get(i).getArray().getGradient();
      grads[i].attach(step);
      sumSquares += grads[i].square().sum().getFloat();
    }
    double norm = Math.sqrt(sumSquares);
    double scale = c.gradClip() > 0 && norm > c.gradClip() ? c.gradClip() / (norm + 1e-6) : 1;
    updates++;
    double correction1 = 1 - Math.pow(c.beta1(), updates);
    double correction2 = 1 - Math.pow(c.beta2(), updates);
    for (int i = 0; i < grads.length; i++) {
      NDArray w = parameters.get(i).getArray();
      NDArray g = grads[i].mul(scale);
      first[i].muli(c.beta1()).addi(g.mul(1 - c.beta1()));
      second[i].muli(c.beta2()).addi(g.square().muli(1 - c.beta2()));
      NDArray firstHat = scratch(first[i].div(correction1), step);
      NDArray secondHat = scratch(second[i].div(correction2), step);
      NDArray update = firstHat.divi(secondHat.sqrt().addi(c.epsilon()));
      if (c.weightDecay() > 0) {
        update.addi(scratch(w.mul(c.weightDecay()), step));
      }
      w.subi(update.muli(learningRate));
      grads[i].subi(grads[i]); // gradients accumulate in PyTorch: zero them for the next step
    }
    return norm;
  }

  /** Results belong to their first operand's manager: move temporaries to the step's. */
  private static NDArray scratch(NDArray temporary, NDManager step) {
    temporary.attach(step);
    return temporary;
  }

  /** The moments, for a checkpoint: m of every parameter, then v of every parameter. */
  public NDList state() {
    NDList out = new NDList();
    for (NDArray m : first) {
      out.add(m);
    }
    for (NDArray v : second) {
      out.add(v);
    }
    return out;
  }

  /** Restores moments saved by {@link #state()} and the update count. */
  public void restore(NDList state, long updates) {
    if (state.size() != 2 * first.length) {
      throw new IllegalArgumentException("optimiser state does not match the model");
    }
    for (int i = 0; i < first.length; i++) {
      DeviceCopy.into(state.get(i), first[i]);
      DeviceCopy.into(state.get(first.length + i), second[i]);
    }
    this.updates = updates;
  }

  @Override
  public void close() {
    manager.close();
  }
}
