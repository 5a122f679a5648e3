package dev.bd3.model.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bd3.model.nn.Bd3Lm;

/**
 * The negative ELBO of block diffusion: for each block b with noise level t_b, (1 / t_b) sum over
 * its masked tokens of -log p(x_0[i] | x_t^b, x_0^{<b}), summed over blocks and divided by the
 * number of scored tokens (not the number of masked ones).
 */
public final class Nelbo {
  private Nelbo() {}

  /** Weighted NLL of every token, (B, L): (1 / t_b) (-log p(x_0)) where masked, else 0. */
  public static NDArray tokenTerms(NDArray logits, NDArray x0, NDArray weights) {
    NDArray logp = logits.logSoftmax(-1).gather(x0.expandDims(-1), -1).squeeze(-1); // (B, L)
    return logp.mul(weights).neg();
  }

  /** The training loss: the NELBO per scored token, a scalar. */
  public static NDArray loss(NDArray logits, NDArray x0, NDArray weights, int scoredTokens) {
    NDArray terms = tokenTerms(logits, x0, weights);
    return terms.sum().div(terms.getManager().create((float) scoredTokens));
  }

  /** Runs the vectorised forward on a noised batch and returns its (B, L) terms. */
  public static NDArray tokenTerms(Bd3Lm model, NoisedBatch batch, NDManager m, boolean training) {
    NDArray x0 = batch.cleanArray(m);
    NDArray logits = model.denoise(batch.noisyArray(m), x0, training);
    return tokenTerms(logits, x0, batch.weightArray(m));
  }

  /** Per-block mean of the token terms, row-major (B, L / L'), on the host. */
  public static double[] blockMeans(float[] terms, int batch, int length, int blockSize) {
    int blocks = length / blockSize;
    double[] out = new double[batch * blocks];
    for (int i = 0; i < terms.length; i++) {
      int n = i / length;
      int b = (i % length) / blockSize;
      out[n * blocks + b] += terms[i] / blockSize;
    }
    return out;
  }
}
