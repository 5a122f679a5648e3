package dev.bd3.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bd3.model.diffusion.BlockDiffusionMask;
import dev.bd3.model.nn.Attention;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.KvCache;
import dev.bd3.model.nn.LayerKv;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.nn.ScriptedForward;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The TorchScript forward against the eager one, the reference: the same logits and the same keys
 * and values for every call shape the sampler makes (a block-causal prefill without a cache, a
 * block against the cache, a finished block and the next one against the cache under a mask), on a
 * model of three layers and two samples.
 */
class ScriptedForwardTest {
  private static final ModelConfig CONFIG = new ModelConfig(260, 3, 32, 4, 4, 0, 32, 4);
  private static final float TOLERANCE = 1e-5f;

  @Test
  void theScriptedForwardGivesTheEagerLogitsAndCache() {
    try (NDManager m = Fixtures.manager();
        KvCache eagerCache = new KvCache(m, CONFIG.layers(), CONFIG.headSize());
        KvCache scriptedCache = new KvCache(m, CONFIG.layers(), CONFIG.headSize())) {
      Bd3Lm model = Fixtures.randomModel(CONFIG, m, 3);
      try (ScriptedForward scripted = model.scripted()) {
        int lb = CONFIG.blockSize();
        // prefill: 12 tokens under the block-causal mask, no cache
        NDArray prefix = tokens(m, 2, 12, 1);
        NDArray mask = Attention.additiveMask(m, BlockDiffusionMask.blockCausal(12, lb), 12, 12);
        Bd3Lm.Output eager = model.forward(prefix, positions(m, 0, 12), null, mask, false);
        Bd3Lm.Output script = scripted.forward(prefix, positions(m, 0, 12), null, mask);
        same(eager, script);
        eagerCache.append(eager.kv());
        scriptedCache.append(script.kv());

        // a block against the cache, no mask
        NDArray block = tokens(m, 2, lb, 2);
        same(
            model.forward(block, positions(m, 12, lb), eagerCache, null, false),
            scripted.forward(block, positions(m, 12, lb), scriptedCache, null));

        // a finished block and the next one against the cache, under a mask
        NDArray two = tokens(m, 2, 2 * lb, 3);
        boolean[] allowed = new boolean[2 * lb * (12 + 2 * lb)];
        SplittableRandom r = new SplittableRandom(4);
        for (int i = 0; i < allowed.length; i++) {
          allowed[i] = i % (12 + 2 * lb) == 0 || r.nextBoolean(); // every row sees something
        }
        NDArray partial = Attention.additiveMask(m, allowed, 2 * lb, 12 + 2 * lb);
        same(
            model.forward(two, positions(m, 12, 2 * lb), eagerCache, partial, false),
            scripted.forward(two, positions(m, 12, 2 * lb), scriptedCache, partial));
      }
    }
  }

  private static void same(Bd3Lm.Output eager, Bd3Lm.Output scripted) {
    assertEquals(eager.logits().getShape(), scripted.logits().getShape());
    assertArrayEquals(
        finite(eager.logits().toFloatArray()), finite(scripted.logits().toFloatArray()), TOLERANCE);
    assertEquals(eager.kv().size(), scripted.kv().size());
    for (int i = 0; i < eager.kv().size(); i++) {
      LayerKv e = eager.kv().get(i);
      LayerKv s = scripted.kv().get(i);
      assertArrayEquals(e.keys().toFloatArray(), s.keys().toFloatArray(), TOLERANCE);
      assertArrayEquals(e.values().toFloatArray(), s.values().toFloatArray(), TOLERANCE);
    }
  }

  /** MASK's logit is -inf in both; compare it as a number. */
  private static float[] finite(float[] logits) {
    for (int i = 0; i < logits.length; i++) {
      if (logits[i] == Float.NEGATIVE_INFINITY) {
        logits[i] = -1e30f;
      }
    }
    return logits;
  }

  private static NDArray tokens(NDManager m, int rows, int length, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    long[] ids = new long[rows * length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = random.nextInt(260);
    }
    return m.create(ids, new Shape(rows, length));
  }

  private static NDArray positions(NDManager m, int from, int length) {
    return m.arange(from, from + length, 1, DataType.INT64);
  }
}
