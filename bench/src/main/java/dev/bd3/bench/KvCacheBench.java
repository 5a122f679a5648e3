package dev.bd3.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.bd3.model.data.Corpus;
import dev.bd3.model.data.Windows;
import dev.bd3.model.diffusion.BlockDiffusionMask;
import dev.bd3.model.nn.Attention;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.IntraOpThreads;
import dev.bd3.model.nn.KvCache;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.nn.ScriptedForward;
import dev.bd3.model.spec.ModelPreset;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
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
    ModelConfig c = o.model(4, 128, 4, 1024, 16, ModelPreset.CPU.condDim);
    int lb = c.blockSize();
    int total = prefix + lb;
    int repeats = o.integer("repeats", 20);
    int warmup = o.integer("warmup", 30);
    int batch = o.integer("batch", 1); // samples generated together
    try (NDManager m = Engine.getInstance().newBaseManager()) {
      int threads = JniUtils.getNumThreads(); // once the engine has loaded libtorch
      Bd3Lm model = Bd3Lm.create(c, m, 0);
      long[] tokens =
          Windows.random(
              Corpus.europarl().tokens(c.tokenizer()).validation(),
              c.tokenizer().bos(),
              batch,
              total,
              new SplittableRandom(2));
      NDArray all = m.create(tokens, new Shape(batch, total));
      NDArray block = all.get(":, " + prefix + ":");
      NDArray blockPositions = m.arange(prefix, total, 1, DataType.INT64);
      NDArray allPositions = m.arange(0, total, 1, DataType.INT64);
      NDArray mask =
          Attention.additiveMask(m, BlockDiffusionMask.blockCausal(total, lb), total, total);
      try (KvCache cache = new KvCache(m, c.layers(), c.headSize())) {
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
                    block(s, tokens, batch, total, prefix),
                    at(s, prefix, total),
                    cache,
                    null,
                    false);
        Function<NDManager, Bd3Lm.Output> recompute =
            s ->
                model.forward(
                    s.create(tokens, new Shape(batch, total)), at(s, 0, total), null, mask, false);
        long compiling = System.nanoTime();
        try (ScriptedForward scripted = model.scripted()) {
          double compileMs = (System.nanoTime() - compiling) / 1e6; // once per generation job
          Function<NDManager, Bd3Lm.Output> scriptedWithCache =
              s ->
                  scripted.forward(
                      block(s, tokens, batch, total, prefix), at(s, prefix, total), cache, null);
          Function<NDManager, Bd3Lm.Output> scriptedRecompute =
              s ->
                  scripted.forward(
                      s.create(tokens, new Shape(batch, total)), at(s, 0, total), null, mask);
          // in blocks, not interleaved: a large pass between two small ones leaves the small one
          // with cold caches and sleeping threads, which a sampler never sees. Many warm-up calls:
          // DJL's call paths must be compiled by the JIT before a small pass is timed, and the
          // TorchScript executor profiles its first calls.
          double[] t = {
            Timer.medianSeconds(warmup, repeats, () -> pass(m, withCache)),
            Timer.medianSeconds(3, repeats, () -> pass(m, recompute)),
            Timer.medianSeconds(warmup, repeats, () -> pass(m, scriptedWithCache)),
            Timer.medianSeconds(3, repeats, () -> pass(m, scriptedRecompute)),
            oneThread(() -> Timer.medianSeconds(warmup, repeats, () -> pass(m, scriptedWithCache))),
            oneThread(() -> Timer.medianSeconds(3, repeats, () -> pass(m, scriptedRecompute)))
          };
          r.line(
              "model: %d layers x %d; %d sample(s), a block of %d tokens after a %d-token prefix",
              c.layers(), c.width(), batch, lb, prefix);
          r.line(
              "%d intra-op threads (OMP_WAIT_POLICY %s) unless a column says one",
              threads, System.getenv().getOrDefault("OMP_WAIT_POLICY", "unset"));
          r.line(
              "                        eager      scripted   scripted on one thread (the samplers)");
          r.line(
              "with KV cache:          %7.2f ms %7.2f ms %7.2f ms",
              t[0] * 1e3, t[2] * 1e3, t[4] * 1e3);
          r.line(
              "recomputing the prefix: %7.2f ms %7.2f ms %7.2f ms",
              t[1] * 1e3, t[3] * 1e3, t[5] * 1e3);
          double best = Math.min(t[1], Math.min(t[3], t[5])); // recomputing at its fastest
          r.line(
              "speed-up of the cache, same path and threads: %.1fx eager, %.1fx scripted, %.1fx"
                  + " scripted on one thread",
              t[1] / t[0], t[3] / t[2], t[5] / t[4]);
          r.line(
              "the samplers' cached pass against the fastest recomputation: %.1fx; logits with and"
                  + " without the cache differ by %.1e at most",
              best / t[4], diff);
          r.line("the cached pass, scripted on one thread against eager: %.2fx", t[0] / t[4]);
          r.line(
              "loading and compiling the TorchScript module: %.1f ms (once per generation)",
              compileMs);
          r.result("kv_cache_speedup", best / t[4]);
          r.result("kv_cache_ms", t[4] * 1e3);
          r.result("recompute_ms", best * 1e3);
          r.result("kv_cache_speedup_eager", t[1] / t[0]);
          r.result("kv_cache_speedup_scripted", t[3] / t[2]);
          r.result("kv_cache_speedup_scripted_one_thread", t[5] / t[4]);
          r.result("kv_cache_ms_eager", t[0] * 1e3);
          r.result("scripted_one_thread_over_eager_cached", t[0] / t[4]);
          r.result("script_compile_ms", compileMs);
        }
        r.result("max_logit_difference", diff);
      }
    }
    r.finish();
  }

  private static NDArray block(NDManager s, long[] tokens, int batch, int total, int prefix) {
    return s.create(tokens, new Shape(batch, total)).get(":, " + prefix + ":");
  }

  private static NDArray at(NDManager s, int from, int to) {
    return s.arange(from, to, 1, DataType.INT64);
  }

  private static double oneThread(Callable<Double> timed) throws Exception {
    try (IntraOpThreads one = IntraOpThreads.limit(1)) {
      return timed.call();
    }
  }

  /** A timed pass; its inputs, and so everything it computes, live in a manager of its own. */
  private static void pass(
      NDManager m, java.util.function.Function<NDManager, Bd3Lm.Output> forward) {
    try (NDManager s = m.newSubManager()) {
      forward.apply(s).logits().getFloat(0, 0, 0);
    }
  }
}
