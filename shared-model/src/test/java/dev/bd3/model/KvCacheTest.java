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
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The KV cache past the training context: a sliding window at the tokens' own positions. */
class KvCacheTest {

  /**
   * With one layer a token's keys and values depend only on the token and its position, so a block
   * denoised against the slid cache must give exactly the logits of one pass over the last L - L'
   * tokens and the block, at the window's positions 0..L-1 (48 tokens generated with L = 32).
   */
  @Test
  void theSlidingCacheGivesThePassOverTheWindow() {
    ModelConfig t = ModelConfig.micro();
    ModelConfig c = new ModelConfig(t.vocabSize(), 1, t.width(), t.heads(), t.mlpRatio(), 0, 32, 4);
    int lb = c.blockSize();
    int keep = c.contextLength() - lb;
    SplittableRandom random = new SplittableRandom(4);
    long[] text = new long[48];
    for (int i = 0; i < text.length; i++) {
      text[i] = random.nextInt(256);
    }
    long[] block = {Fixtures.BYTES.mask(), 'q', Fixtures.BYTES.mask(), Fixtures.BYTES.mask()};
    try (NDManager m = Fixtures.manager();
        KvCache cache = new KvCache(m, c.layers(), c.headSize())) {
      Bd3Lm model = Fixtures.randomModel(c, m, 9);
      for (int b = 0; b < text.length / lb; b++) {
        cache.keepLast(keep);
        long[] tokens = java.util.Arrays.copyOfRange(text, b * lb, (b + 1) * lb);
        int at = cache.length();
        cache.append(
            model
                .forward(
                    row(m, tokens), m.arange(at, at + lb, 1, DataType.INT64), cache, null, false)
                .kv());
      }
      cache.keepLast(keep);
      assertEquals(keep, cache.length());
      float[] cached =
          model
              .forward(
                  row(m, block), m.arange(keep, keep + lb, 1, DataType.INT64), cache, null, false)
              .logits()
              .toFloatArray();

      long[] window = new long[c.contextLength()];
      System.arraycopy(text, text.length - keep, window, 0, keep);
      System.arraycopy(block, 0, window, keep, lb);
      NDArray mask =
          Attention.additiveMask(
              m,
              BlockDiffusionMask.blockCausal(c.contextLength(), lb),
              c.contextLength(),
              c.contextLength());
      float[] direct =
          model
              .forward(
                  row(m, window),
                  m.arange(0, c.contextLength(), 1, DataType.INT64),
                  null,
                  mask,
                  false)
              .logits()
              .get(":, " + keep + ":")
              .toFloatArray();
      assertArrayEquals(direct, cached, 1e-4f);
    }
  }

  /**
   * With three layers: sliding the cache by d tokens gives the keys and values a pass with every
   * position d lower would have given (rotary attention depends only on relative positions, at
   * every layer), and so the same logits for the next block.
   */
  @Test
  void slidingReindexesThePositionsOfEveryLayer() {
    ModelConfig t = ModelConfig.micro();
    ModelConfig c = new ModelConfig(t.vocabSize(), 3, t.width(), t.heads(), t.mlpRatio(), 0, 32, 4);
    int lb = c.blockSize();
    int keep = 28;
    int drop = 48 - keep;
    SplittableRandom random = new SplittableRandom(5);
    long[] text = new long[48];
    for (int i = 0; i < text.length; i++) {
      text[i] = random.nextInt(256);
    }
    long[] block = {Fixtures.BYTES.mask(), 'q', Fixtures.BYTES.mask(), Fixtures.BYTES.mask()};
    try (NDManager m = Fixtures.manager();
        KvCache slid = new KvCache(m, c.layers(), c.headSize());
        KvCache shifted = new KvCache(m, c.layers(), c.headSize())) {
      Bd3Lm model = Fixtures.randomModel(c, m, 9);
      for (int b = 0; b < text.length / lb; b++) {
        NDArray tokens = row(m, java.util.Arrays.copyOfRange(text, b * lb, (b + 1) * lb));
        long at = (long) b * lb;
        slid.append(
            model
                .forward(tokens, m.arange(at, at + lb, 1, DataType.INT64), slid, null, false)
                .kv());
        shifted.append(
            model
                .forward(
                    tokens,
                    m.arange(at - drop, at - drop + lb, 1, DataType.INT64),
                    shifted,
                    null,
                    false)
                .kv());
      }
      slid.keepLast(keep);
      List<LayerKv> expected = new ArrayList<>();
      for (int i = 0; i < c.layers(); i++) {
        LayerKv kv = shifted.layer(i);
        NDArray k = kv.keys().get(":, :, " + drop + ":");
        NDArray v = kv.values().get(":, :, " + drop + ":");
        assertArrayEquals(k.toFloatArray(), slid.layer(i).keys().toFloatArray(), 1e-5f);
        assertArrayEquals(v.toFloatArray(), slid.layer(i).values().toFloatArray(), 1e-5f);
        expected.add(new LayerKv(k, v));
      }
      try (KvCache window = KvCache.of(m, expected)) {
        NDArray at = m.arange(keep, keep + lb, 1, DataType.INT64);
        assertArrayEquals(
            model.forward(row(m, block), at, window, null, false).logits().toFloatArray(),
            model.forward(row(m, block), at, slid, null, false).logits().toFloatArray(),
            1e-4f);
      }
    }
  }

  private static NDArray row(NDManager m, long[] tokens) {
    return m.create(tokens, new Shape(1, tokens.length));
  }
}
