package dev.bd3.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * Keys and values of the finished (clean) blocks, per layer, each (B, H, S, hd). Passed explicitly
 * to {@link Bd3Lm#forward}; the caller appends a block once it is final. Keys are rotated at their
 * position in the window: when the window slides, they are rotated back by the tokens dropped, so
 * positions stay within the window (as the reference's cache, which it rotates afresh each pass)
 * rather than growing with the sample.
 */
public final class KvCache implements AutoCloseable {
  private final NDManager manager;
  private final LayerKv[] layers;
  private final int headSize;
  private int length;

  /** An empty cache of heads of {@code headSize}, in a sub-manager of {@code parent}. */
  public KvCache(NDManager parent, int layers, int headSize) {
    this.manager = parent.newSubManager();
    this.layers = new LayerKv[layers];
    this.headSize = headSize;
  }

  /**
   * A cache holding the given keys and values as they are (no copy), e.g. those of a clean pass
   * whose gradients must flow.
   */
  public static KvCache of(NDManager parent, List<LayerKv> kv) {
    KvCache cache = new KvCache(parent, kv.size(), (int) kv.get(0).keys().getShape().get(3));
    for (int i = 0; i < kv.size(); i++) {
      cache.layers[i] = kv.get(i);
    }
    cache.length = (int) kv.get(0).length();
    return cache;
  }

  /** Cached tokens. */
  public int length() {
    return length;
  }

  /** Layer {@code i}'s keys and values, or null while the cache is empty. */
  public LayerKv layer(int i) {
    return layers[i];
  }

  /** Appends the keys and values of a finished block (one entry per layer). */
  public void append(List<LayerKv> block) {
    for (int i = 0; i < layers.length; i++) {
      LayerKv add = block.get(i);
      LayerKv old = layers[i];
      NDArray k = old == null ? add.keys().duplicate() : old.keys().concat(add.keys(), 2);
      NDArray v = old == null ? add.values().duplicate() : old.values().concat(add.values(), 2);
      k.attach(manager);
      v.attach(manager);
      layers[i] = new LayerKv(k, v);
      if (old != null) {
        old.keys().close();
        old.values().close();
      }
    }
    length += (int) block.get(0).length();
  }

  /**
   * Keeps only the newest {@code keep} tokens, their keys rotated back to positions 0..keep-1: a
   * sliding window for generation past L.
   */
  public void keepLast(int keep) {
    if (length <= keep) {
      return;
    }
    int drop = length - keep;
    NDList back =
        RotaryEmbedding.angles(manager.create(new long[] {-drop}), headSize); // (1, hd) each
    for (int i = 0; i < layers.length; i++) {
      LayerKv old = layers[i];
      NDArray k = RotaryEmbedding.apply(old.keys().get(":, :, " + drop + ":"), back);
      NDArray v = old.values().get(":, :, " + drop + ":");
      k.attach(manager);
      v.attach(manager);
      layers[i] = new LayerKv(k, v);
      old.keys().close();
      old.values().close();
    }
    back.close();
    length = keep;
  }

  /** Repeats the cache of one sequence for {@code n} rows (a prompt shared by every sample). */
  public void repeatRows(int n) {
    for (int i = 0; i < layers.length; i++) {
      LayerKv old = layers[i];
      NDArray k = old.keys().repeat(0, n);
      NDArray v = old.values().repeat(0, n);
      k.attach(manager);
      v.attach(manager);
      layers[i] = new LayerKv(k, v);
      old.keys().close();
      old.values().close();
    }
  }

  /** Keeps only the rows (sequences) listed, e.g. to drop finished samples from a batch. */
  public void keepRows(NDArray rows) {
    for (int i = 0; i < layers.length; i++) {
      LayerKv old = layers[i];
      if (old == null) {
        continue;
      }
      NDArray k = old.keys().get(rows);
      NDArray v = old.values().get(rows);
      k.attach(manager);
      v.attach(manager);
      layers[i] = new LayerKv(k, v);
      old.keys().close();
      old.values().close();
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
