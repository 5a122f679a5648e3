package dev.bd3.model.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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

  /**
   * Runs the vectorised forward on a noised batch and returns its (B, L) terms. For the causal
   * model the terms are its exact negative log-likelihood, token by token (the noise is not read).
   */
  public static NDArray tokenTerms(Bd3Lm model, NoisedBatch batch, NDManager m, boolean training) {
    NDArray x0 = batch.cleanArray(m);
    if (model.config().causal()) {
      return nextTokenTerms(model, x0, training);
    }
    NDArray sigma = model.config().timeConditioning() ? sigma(batch, m) : null;
    NDArray logits = model.denoise(batch.noisyArray(m), x0, sigma, training);
    return tokenTerms(logits, x0, batch.weightArray(m));
  }

  /**
   * -log p(x_0[i] | x_0[<i]) of the causal model for every token of x_0 (B, L), 0 at BOS: the
   * reference's AR loss, inputs x_0[:, :-1] and targets x_0[:, 1:].
   */
  public static NDArray nextTokenTerms(Bd3Lm model, NDArray x0, boolean training) {
    long b = x0.getShape().get(0);
    long l = x0.getShape().get(1);
    NDArray logits = model.nextTokenLogits(x0.get(":, :" + (l - 1)), training); // (B, L - 1, V)
    NDArray targets = x0.get(":, 1:").expandDims(-1);
    NDArray nll = logits.logSoftmax(-1).gather(targets, -1).squeeze(-1).neg(); // (B, L - 1)
    return x0.getManager().zeros(new Shape(b, 1)).concat(nll, 1);
  }

  /**
   * The noise level a time-conditioned model reads for each sequence, sigma = -log(1 - t) of its
   * first block, as the reference conditions on one sigma a sequence.
   */
  private static NDArray sigma(NoisedBatch batch, NDManager m) {
    int blocks = batch.length() / batch.blockSize();
    float[] sigma = new float[batch.batch()];
    for (int n = 0; n < sigma.length; n++) {
      sigma[n] = (float) -Math.log1p(-Math.min(batch.t()[n * blocks], 1 - 1e-6));
    }
    return m.create(sigma);
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
