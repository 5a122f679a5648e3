package dev.bd3.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bd3.model.data.Corpus;
import dev.bd3.model.data.Windows;
import dev.bd3.model.diffusion.BlockDiffusionMask;
import dev.bd3.model.nn.Attention;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.KvCache;
import dev.bd3.model.nn.ModelConfig;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * One denoising pass over a block of L' tokens after a prefix: with the prefix's keys and values in
 * the KV cache, against recomputing the whole prefix (what a model without a cache does).
 */
final class KvCacheBench extends Benchmark {
  KvCacheBench(Options options, Report report) {
    super(options, report);
  }

  @Override
  void run() throws Exception {
    int prefix = o.integer("prefix", 512);
    ModelConfig c = o.model(4, 128, 4, 1024, 16);
    int lb = c.blockSize();
    int total = prefix + lb;
    int repeats = o.integer("repeats", 20);
    int warmup = o.integer("warmup", 30);
    int batch = o.integer("batch", 1); // samples generated together
    try (NDManager m = Engine.getInstance().newBaseManager()) {
      Bd3Lm model = Bd3Lm.create(c, m, 0);
      long[] tokens =
          Windows.random(Corpus.europarl().validation(), batch, total, new SplittableRandom(2));
      NDArray all = m.create(tokens, new Shape(batch, total));
      NDArray block = all.get(":, " + prefix + ":");
      NDArray blockPositions = m.arange(prefix, total, 1, DataType.INT64);
      NDArray allPositions = m.arange(0, total, 1, DataType.INT64);
      NDArray mask =
          Attention.additiveMask(m, BlockDiffusionMask.blockCausal(total, lb), total, total);
      try (KvCache cache = new KvCache(m, c.layers())) {
        NDArray prefixMask =
            Attention.additiveMask(m, BlockDiffusionMask.blockCausal(prefix, lb), prefix, prefix);
        cache.append(
            model
                .forward(
                    all.get(":, :" + prefix),
                    m.arange(0, prefix, 1, DataType.INT64),
                    null,
                    prefixMask,
                    false)
                .kv());
        float[] cached;
        float[] recomputed;
        try (NDManager s = m.newSubManager()) {
          cached = model.forward(block, blockPositions, cache, null, false).logits().toFloatArray();
          recomputed =
              model
                  .forward(all, allPositions, null, mask, false)
                  .logits()
                  .get(":, " + prefix + ":")
                  .toFloatArray();
        }
        double diff = 0;
        for (int i = 0; i < cached.length; i++) {
          if (Float.isFinite(cached[i])) { // MASK's logit is -inf in both
            diff = Math.max(diff, Math.abs(cached[i] - recomputed[i]));
          }
        }
        Function<NDManager, Bd3Lm.Output> withCache =
            s ->
                model.forward(
                    s.create(tokens, new Shape(batch, total)).get(":, " + prefix + ":"),
                    s.arange(prefix, total, 1, DataType.INT64),
                    cache,
                    null,
                    false);
        Function<NDManager, Bd3Lm.Output> recompute =
            s ->
                model.forward(
                    s.create(tokens, new Shape(batch, total)),
                    s.arange(0, total, 1, DataType.INT64),
                    null,
                    mask,
                    false);
        // in blocks, not interleaved: a large pass between two small ones leaves the small one
        // with cold caches and sleeping threads, which a sampler never sees. Many warm-up calls:
        // DJL's call paths must be compiled by the JIT before a small pass is timed.
        double[] t = {
          Timer.medianSeconds(warmup, repeats, () -> pass(m, withCache)),
          Timer.medianSeconds(3, repeats, () -> pass(m, recompute))
        };
        r.line(
            "model: %d layers x %d; %d sample(s), a block of %d tokens after a %d-token prefix",
            c.layers(), c.width(), batch, lb, prefix);
        r.line("with KV cache:          %.2f ms", t[0] * 1e3);
        r.line("recomputing the prefix: %.2f ms", t[1] * 1e3);
        r.line("speed-up %.1fx; logits differ by %.1e at most", t[1] / t[0], diff);
        r.result("kv_cache_ms", t[0] * 1e3);
        r.result("recompute_ms", t[1] * 1e3);
        r.result("kv_cache_speedup", t[1] / t[0]);
        r.result("max_logit_difference", diff);
      }
    }
    r.finish();
  }

  /** A timed pass; its inputs, and so everything it computes, live in a manager of its own. */
  private static void pass(
      NDManager m, java.util.function.Function<NDManager, Bd3Lm.Output> forward) {
    try (NDManager s = m.newSubManager()) {
      forward.apply(s).logits().getFloat(0, 0, 0);
    }
  }
}
