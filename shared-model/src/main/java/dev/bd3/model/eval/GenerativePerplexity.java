package dev.bd3.model.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bd3.model.data.Tokenizer;
import dev.bd3.model.diffusion.Nelbo;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.ModelConfig;
import java.util.List;

/**
 * Generative perplexity: generated samples scored by an autoregressive judge (a checkpoint with
 * block size 1, diffusion or causal, of the samples' tokenizer), as the mean over samples of each
 * sample's perplexity. A sample longer than the judge's context is scored with a sliding window:
 * each window holds BOS and the L - 1 tokens up to its end and scores only the last {@code stride}
 * of them, so that every token after the first window keeps at least L - 1 - stride tokens of
 * context.
 */
public final class GenerativePerplexity {
  private GenerativePerplexity() {}

  /** Mean per-sample perplexity, and the mean per-token NLL over all tokens. */
  public record Result(double meanPerplexity, double nll, long tokens) {}

  /** With the default stride, a quarter of the judge's context. */
  public static Result judge(Bd3Lm judge, List<int[]> samples, NDManager parent) {
    return judge(judge, samples, Math.max(1, judge.config().contextLength() / 4), parent);
  }

  public static Result judge(Bd3Lm judge, List<int[]> samples, int stride, NDManager parent) {
    if (!judge.config().isAutoregressive()) {
      throw new IllegalArgumentException("the judge must be autoregressive (block size 1)");
    }
    int l = judge.config().contextLength();
    if (stride < 1 || stride > l - 1) {
      throw new IllegalArgumentException("the stride must lie in [1, " + (l - 1) + "]");
    }
    double sumPpl = 0;
    double sumNll = 0;
    long tokens = 0;
    int scored = 0;
    for (int[] sample : samples) {
      if (sample.length == 0) {
        continue;
      }
      double nll = 0;
      for (int done = 0; done < sample.length; ) {
        int end = Math.min(sample.length, done == 0 ? l - 1 : done + stride);
        nll += windowNll(judge, sample, Math.max(0, end - (l - 1)), done, end, parent);
        done = end;
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

  /**
   * Exact AR NLL of sample[score, to) in the window BOS + sample[from, to): PAD beyond the end,
   * only the tokens from {@code score} on weighted. A diffusion judge (L' = 1) sees every position
   * masked, the causal one the clean tokens.
   */
  private static double windowNll(
      Bd3Lm judge, int[] sample, int from, int score, int to, NDManager parent) {
    ModelConfig c = judge.config();
    Tokenizer tokenizer = c.tokenizer();
    int l = c.contextLength();
    long[] x0 = new long[l];
    long[] xt = new long[l];
    float[] weights = new float[l];
    x0[0] = tokenizer.bos();
    xt[0] = tokenizer.bos();
    for (int i = 1; i < l; i++) {
      int at = from + i - 1;
      x0[i] = at < to ? sample[at] : tokenizer.pad();
      xt[i] = c.mask();
      weights[i] = at >= score && at < to ? 1 : 0;
    }
    try (NDManager m = parent.newSubManager()) {
      NDArray clean = m.create(x0, new Shape(1, l));
      NDArray terms =
          c.causal()
              ? Nelbo.nextTokenTerms(judge, clean, false)
              : Nelbo.tokenTerms(
                  judge.denoise(m.create(xt, new Shape(1, l)), clean, false),
                  clean,
                  m.ones(new Shape(1, l)));
      return terms.mul(m.create(weights, new Shape(1, l))).sum().getFloat();
    }
  }
}
