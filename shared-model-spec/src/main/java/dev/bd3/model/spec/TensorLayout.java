package dev.bd3.model.spec;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every weight tensor of a model of a given shape, under its name in the reference's DIT (the keys
 * of its {@code state_dict}, which the release layout prefixes with {@code backbone.}), in its
 * order, which is also the order of our model's parameter list: one definition of what a checkpoint
 * contains, for the model library (which names its arrays by it), the gateway (which checks and
 * converts uploaded checkpoints without loading them) and the parameter count.
 *
 * @param vocabulary ids the model reads, MASK included
 * @param layers transformer layers
 * @param width hidden size D
 * @param mlpRatio feed-forward hidden size over D
 * @param cond width C of adaLN-Zero's conditioning vector; 0 without adaLN (the causal model)
 */
public record TensorLayout(int vocabulary, int layers, int width, int mlpRatio, int cond) {
  /** Sinusoidal features of sigma that the conditioning embeds (the reference's 256). */
  public static final int FREQUENCIES = 256;

  /** Name to shape, in the model's order. */
  public Map<String, long[]> tensors() {
    Map<String, long[]> t = new LinkedHashMap<>();
    long d = width;
    long c = cond;
    long hidden = (long) mlpRatio * width;
    t.put("vocab_embed.embedding", new long[] {vocabulary, d});
    if (cond > 0) {
      t.put("sigma_map.mlp.0.weight", new long[] {c, FREQUENCIES});
      t.put("sigma_map.mlp.0.bias", new long[] {c});
      t.put("sigma_map.mlp.2.weight", new long[] {c, c});
      t.put("sigma_map.mlp.2.bias", new long[] {c});
    }
    for (int i = 0; i < layers; i++) {
      String b = "blocks." + i + ".";
      t.put(b + "norm1.weight", new long[] {d});
      t.put(b + "attn_qkv.weight", new long[] {3 * d, d});
      t.put(b + "attn_out.weight", new long[] {d, d});
      t.put(b + "norm2.weight", new long[] {d});
      t.put(b + "mlp.0.weight", new long[] {hidden, d});
      t.put(b + "mlp.0.bias", new long[] {hidden});
      t.put(b + "mlp.2.weight", new long[] {d, hidden});
      t.put(b + "mlp.2.bias", new long[] {d});
      if (cond > 0) {
        t.put(b + "adaLN_modulation.weight", new long[] {6 * d, c});
        t.put(b + "adaLN_modulation.bias", new long[] {6 * d});
      }
    }
    t.put("output_layer.norm_final.weight", new long[] {d});
    t.put("output_layer.linear.weight", new long[] {vocabulary, d});
    t.put("output_layer.linear.bias", new long[] {vocabulary});
    if (cond > 0) {
      t.put("output_layer.adaLN_modulation.weight", new long[] {2 * d, c});
      t.put("output_layer.adaLN_modulation.bias", new long[] {2 * d});
    }
    return Collections.unmodifiableMap(t);
  }

  /** Parameters in all: the sum of the tensors' sizes. */
  public long parameters() {
    long n = 0;
    for (long[] shape : tensors().values()) {
      long size = 1;
      for (long s : shape) {
        size *= s;
      }
      n += size;
    }
    return n;
  }
}
