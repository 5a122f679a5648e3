package dev.bd3.model.sample;

import ai.djl.ndarray.NDManager;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.IntraOpThreads;
import dev.bd3.model.nn.ScriptedForward;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;

/**
 * Generates one request's samples, block by block: a {@link BatchDecoder} of that request alone.
 * Each block starts as L' MASK tokens and is denoised by a {@link DenoisingRule}, attending to the
 * KV cache of the finished blocks and to itself; a sample stops at EOS, at degenerate text or at
 * the maximum length, so lengths vary; past the training context the cache slides.
 */
public final class BlockSampler {
  private final Bd3Lm model;
  private final SamplerConfig config;
  private final boolean useCache;
  private final boolean scripted;

  private BlockSampler(Bd3Lm model, SamplerConfig config, boolean useCache, boolean scripted) {
    this.model = model;
    this.config = config;
    this.useCache = useCache;
    this.scripted = scripted;
  }

  /**
   * With the KV cache, every pass one TorchScript call ({@link ScriptedForward}) on one intra-op
   * thread ({@link IntraOpThreads}): how the workers sample.
   */
  public static BlockSampler cached(Bd3Lm model, SamplerConfig config) {
    return new BlockSampler(model, config, true, true);
  }

  /**
   * With the KV cache, every pass the eager forward, an operation per call: the reference for
   * {@link #cached}, which gives the same tokens.
   */
  public static BlockSampler cachedEager(Bd3Lm model, SamplerConfig config) {
    return new BlockSampler(model, config, true, false);
  }

  /**
   * The reference without a KV cache: every evaluation recomputes the whole prefix under the
   * block-causal mask. Within the training context it yields the same tokens as {@link #cached}.
   */
  public static BlockSampler recomputing(Bd3Lm model, SamplerConfig config) {
    return new BlockSampler(model, config, false, false);
  }

  /** Called when a block of a sample is final. */
  public interface Listener {
    void onBlock(int sample, int block, int[] tokens);

    Listener NONE = (sample, block, tokens) -> {};
  }

  /**
   * A request's samples; the forward passes it took part in (its prompt's prefill included): what
   * generation cost, where each sample's NFE counts its own evaluations; and the mean number of
   * requests in those passes (1 alone).
   */
  public record Result(List<GeneratedSample> samples, int batchPasses, double meanBatch) {}

  /**
   * Generates {@code n} samples continuing {@code prompt} (the model's token ids, may be empty).
   */
  public Result generate(int n, int[] prompt, NDManager parent, Listener listener) {
    return generate(n, prompt, parent, listener, () -> false);
  }

  /**
   * Like {@link #generate(int, int[], NDManager, Listener)}, polling {@code cancelled} before every
   * block: once it holds, generation ends with the blocks finished so far.
   */
  public Result generate(
      int n, int[] prompt, NDManager parent, Listener listener, BooleanSupplier cancelled) {
    try (IntraOpThreads threads = scripted ? IntraOpThreads.limit(1) : null;
        BatchDecoder decoder = new BatchDecoder(model, useCache, scripted, parent)) {
      BatchDecoder.Request request = decoder.join(n, prompt, config, listener, cancelled);
      while (decoder.step()) {
        // one block of every sample per step
      }
      return request.completion().join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }
}
