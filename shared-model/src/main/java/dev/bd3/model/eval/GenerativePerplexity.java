package dev.bd3.model.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bd3.model.data.ByteTokenizer;
import dev.bd3.model.diffusion.Nelbo;
import dev.bd3.model.nn.Bd3Lm;
import java.util.List;

/**
 * Generative perplexity: generated samples scored by an autoregressive judge (a checkpoint with
 * block size 1), as the mean over samples of each sample's perplexity. Samples longer than the
 * judge's context are scored in consecutive windows, each opened with BOS.
 */
public final class GenerativePerplexity {
  private GenerativePerplexity() {}

  /** Mean per-sample perplexity, and the mean per-token NLL over all tokens. */
  public record Result(double meanPerplexity, double nll, long tokens) {}

  public static Result judge(Bd3Lm judge, List<int[]> samples, NDManager parent) {
    if (!judge.config().isAutoregressive()) {
      throw new IllegalArgumentException("the judge must be autoregressive (block size 1)");
    }
    int l = judge.config().contextLength();
    double sumPpl = 0;
    double sumNll = 0;
    long tokens = 0;
    int scored = 0;
    for (int[] sample : samples) {
      if (sample.length == 0) {
        continue;
      }
      double nll = 0;
      for (int from = 0; from < sample.length; from += l - 1) {
        nll += windowNll(judge, sample, from, Math.min(sample.length, from + l - 1), parent);
      }
      sumPpl += Math.exp(nll / sample.length);
      sumNll += nll;
      tokens += sample.length;
      scored++;
    }
    if (scored == 0) {
      throw new IllegalArgumentException("no non-empty sample to judge");
    }
    return new Result(sumPpl / scored, sumNll / tokens, tokens);
  }

  /** Exact AR NLL of sample[from, to) after BOS: every position masked, PAD beyond the end. */
  private static double windowNll(Bd3Lm judge, int[] sample, int from, int to, NDManager parent) {
    int l = judge.config().contextLength();
    long[] x0 = new long[l];
    long[] xt = new long[l];
    float[] weights = new float[l];
    x0[0] = ByteTokenizer.BOS;
    xt[0] = ByteTokenizer.BOS;
    for (int i = 1; i < l; i++) {
      boolean real = from + i - 1 < to;
      x0[i] = real ? sample[from + i - 1] : ByteTokenizer.PAD;
      xt[i] = ByteTokenizer.MASK;
      weights[i] = real ? 1 : 0;
    }
    try (NDManager m = parent.newSubManager()) {
      NDArray clean = m.create(x0, new Shape(1, l));
      NDArray logits = judge.denoise(m.create(xt, new Shape(1, l)), clean, false);
      return Nelbo.tokenTerms(logits, clean, m.create(weights, new Shape(1, l))).sum().getFloat();
    }
  }
}
