package dev.bd3.model.eval;

import ai.djl.ndarray.NDManager;
import dev.bd3.model.data.Tokenizer;
import dev.bd3.model.data.Windows;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.diffusion.Nelbo;
import dev.bd3.model.diffusion.NoisedBatch;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.ModelConfig;
import java.util.SplittableRandom;

/**
 * Test perplexity from the NELBO: PPL = exp(sum NELBO / #tokens) over consecutive windows of a
 * held-out stream, t drawn from [1e-3, 1], {@code draws} Monte Carlo draws per block (averaged).
 * For block diffusion this bounds the perplexity from above. An autoregressive model (L' = 1) is
 * scored with everything masked, which is its exact likelihood.
 */
public final class PerplexityEvaluator {
  private PerplexityEvaluator() {}

  /**
   * @param nelbo the bound on the NLL per token, in nats (exact for the causal model)
   * @param perplexity exp(nelbo): per token of the model's tokenizer
   * @param bytes UTF-8 bytes of the scored text (a special id counting as one)
   * @param stdError standard error of the NELBO across draws (0 for a single draw)
   */
  public record Result(
      double nelbo,
      double perplexity,
      long tokens,
      long bytes,
      int sequences,
      int draws,
      double stdError) {

    /** The bound in bits per byte of text: comparable across tokenizers. */
    public double bitsPerByte() {
      return nelbo * tokens / bytes / Math.log(2);
    }
  }

  public static Result evaluate(
      Bd3Lm model,
      int[] stream,
      int maxSequences,
      int batchSize,
      int draws,
      long seed,
      NDManager parent) {
    ModelConfig c = model.config();
    int sequences = Windows.count(stream, c.contextLength(), maxSequences);
    if (sequences == 0) {
      throw new IllegalArgumentException("the held-out text is shorter than one window");
    }
    ClippedSchedule schedule =
        c.isAutoregressive() ? ClippedSchedule.ALL_MASKED : ClippedSchedule.FULL;
    SplittableRandom random = new SplittableRandom(seed);
    double[] perDraw = new double[draws];
    Tokenizer tokenizer = c.tokenizer();
    long tokens = 0;
    long bytes = 0;
    for (int first = 0; first < sequences; first += batchSize) {
      int b = Math.min(batchSize, sequences - first);
      long[] x0 = Windows.sequential(stream, c.tokenizer().bos(), first, b, c.contextLength());
      for (int d = 0; d < draws; d++) {
        NoisedBatch batch = NoisedBatch.noise(x0, b, c, schedule, false, random);
        try (NDManager m = parent.newSubManager()) {
          perDraw[d] += Nelbo.tokenTerms(model, batch, m, false).sum().getFloat();
        }
      }
      tokens += (long) b * (c.contextLength() - 1);
      for (int i = 0; i < x0.length; i++) {
        bytes += i % c.contextLength() == 0 ? 0 : tokenizer.textBytes((int) x0[i]); // BOS unscored
      }
    }
    double mean = 0;
    for (int d = 0; d < draws; d++) {
      perDraw[d] /= tokens;
      mean += perDraw[d] / draws;
    }
    double variance = 0;
    for (double x : perDraw) {
      variance += (x - mean) * (x - mean) / Math.max(1, draws - 1);
    }
    double stdError = draws > 1 ? Math.sqrt(variance / draws) : 0;
    return new Result(mean, Math.exp(mean), tokens, bytes, sequences, draws, stdError);
  }
}
