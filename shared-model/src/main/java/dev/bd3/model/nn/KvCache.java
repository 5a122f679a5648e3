package dev.bd3.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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
    if (keep <= 0) {
      clear();
      return;
    }
    int drop = length - keep;
    for (int i = 0; i < layers.length; i++) {
      try (NDManager step = manager.newSubManager()) {
        NDArray keys = layers[i].keys().get(":, :, " + drop + ":");
        NDArray values = layers[i].values().get(":, :, " + drop + ":");
        keys.attach(step); // views of the old tensors: freed with them
        values.attach(step);
        replace(i, rotated(step, keys, -drop), values.duplicate());
      }
    }
    length = keep;
  }

  /** Keys (B, H, S, hd) rotated {@code by} positions further, in {@code m}. */
  private NDArray rotated(NDManager m, NDArray keys, long by) {
    NDList rotation = RotaryEmbedding.angles(m.create(new long[] {by}), headSize);
    NDArray k = RotaryEmbedding.apply(keys, rotation);
    k.attach(m);
    return k;
  }

  /** Layer i becomes (k, v), kept in this cache's manager; the old tensors are freed. */
  private void replace(int i, NDArray k, NDArray v) {
    k.attach(manager);
    v.attach(manager);
    LayerKv old = layers[i];
    layers[i] = new LayerKv(k, v);
    if (old != null) {
      old.keys().close();
      old.values().close();
    }
  }

  /**
   * Stacks {@code other}'s rows (null: {@code otherRows} rows with nothing cached) under this
   * cache's {@code rows}, both right-aligned to the longer: the shorter one's keys are rotated
   * forward by the difference and its first slots left empty (zeros, for the caller's mask to
   * hide). Rotary attention depends only on relative positions, so every row attends as before.
   * Closes {@code other}.
   */
  public void stack(KvCache other, int rows, int otherRows) {
    int s = Math.max(length, other == null ? 0 : other.length);
    for (int i = 0; i < layers.length && s > 0; i++) {
      LayerKv below = other == null ? null : other.layers[i];
      Shape like = (layers[i] != null ? layers[i] : below).keys().getShape(); // (B, H, S, hd)
      try (NDManager step = manager.newSubManager()) {
        NDArray k =
            aligned(step, layers[i], rows, s, like, true)
                .concat(aligned(step, below, otherRows, s, like, true), 0);
        NDArray v =
            aligned(step, layers[i], rows, s, like, false)
                .concat(aligned(step, below, otherRows, s, like, false), 0);
        replace(i, k, v);
      }
    }
    length = s;
    if (other != null) {
      other.close();
    }
  }

  /** The keys or values of {@code rows} right-aligned to {@code s} slots, in {@code m}. */
  private NDArray aligned(NDManager m, LayerKv kv, int rows, int s, Shape like, boolean keys) {
    long missing = s - (kv == null ? 0 : kv.length());
    NDArray part = kv == null ? null : keys ? kv.keys() : kv.values();
    if (missing == 0) {
      return part;
    }
    NDArray empty = m.zeros(new Shape(rows, like.get(1), missing, like.get(3)));
    if (part == null) {
      return empty;
    }
    return empty.concat(keys ? rotated(m, part, missing) : part, 2);
  }

  /** Empties the cache. */
  public void clear() {
    for (int i = 0; i < layers.length; i++) {
      if (layers[i] != null) {
        layers[i].keys().close();
        layers[i].values().close();
        layers[i] = null;
      }
    }
    length = 0;
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
