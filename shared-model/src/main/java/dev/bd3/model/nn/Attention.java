package dev.bd3.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;
import java.util.Map;

/**
 * Multi-head self-attention with rotary embeddings and no bias on the projections.
 *
 * <p>Shapes: B batch, T new tokens, S cached tokens, D width, H heads, hd = D / H.
 */
public final class Attention extends ModelBlock {
  private final int heads;
  private final int headSize;
  private final Parameter qkv; // (3D, D)
  private final Parameter out; // (D, D)
  private volatile NDArray scale;

  Attention(ModelConfig config) {
    this.heads = config.heads();
    this.headSize = config.headSize();
    int d = config.width();
    qkv = addParameter(Weights.linear("qkv", 3 * d, d, Weights.fanIn(d)));
    out = addParameter(Weights.linear("out", d, d, Weights.fanIn(d)));
  }

  /** The output of an attention call and the keys and values of its own T tokens. */
  public record Output(NDArray hidden, LayerKv kv) {}

  /**
   * Attends x (B, T, D) to the cached keys and values {@code past} (null for none) and to itself,
   * as {@code plan} allows.
   */
  public Output forward(NDArray x, NDList angles, AttentionPlan plan, LayerKv past) {
    long b = x.getShape().get(0);
    long t = x.getShape().get(1);
    NDArray qkvs =
        Linear.linear(x, qkv.getArray())
            .head()
            .reshape(b, t, 3, heads, headSize)
            .transpose(2, 0, 3, 1, 4); // (3, B, H, T, hd)
    NDArray qk = RotaryEmbedding.apply(qkvs.get(":2"), angles); // (2, B, H, T, hd), rotated
    NDArray q = qk.get(0).mul(scale()); // scaled once, on the smallest operand
    NDArray k = qk.get(1);
    NDArray v = qkvs.get(2);
    NDArray context =
        plan instanceof AttentionPlan.Vectorised vec
            ? vectorised(q, k, v, vec)
            : dense(q, k, v, ((AttentionPlan.Dense) plan).mask(), past); // (B, T, H, hd)
    NDArray merged = context.reshape(b, t, (long) heads * headSize);
    return new Output(Linear.linear(merged, out.getArray()).head(), new LayerKv(k, v));
  }

  /** 1 / sqrt(hd), kept with the weights: a scalar made per call could be freed before backward. */
  private NDArray scale() {
    NDArray s = scale;
    if (s == null) {
      s = qkv.getArray().getManager().create(scale(headSize));
      scale = s;
    }
    return s;
  }

  /** The scores' scale 1 / sqrt(hd). */
  static float scale(int headSize) {
    return (float) (1 / Math.sqrt(headSize));
  }

  /** Its weights under the reference's names: {@code attn_qkv} and {@code attn_out}. */
  void name(String prefix, Map<String, Parameter> out) {
    out.put(prefix + "attn_qkv.weight", qkv);
    out.put(prefix + "attn_out.weight", this.out);
  }

  /** The projections' weights: qkv (3D, D), out (D, D). */
  List<NDArray> weights() {
    return List.of(qkv.getArray(), out.getArray());
  }

  private static NDArray dense(NDArray q, NDArray k, NDArray v, NDArray mask, LayerKv past) {
    if (past != null) {
      k = past.keys().concat(k, 2); // (B, H, S + T, hd)
      v = past.values().concat(v, 2);
      k.attach(q.getManager()); // concat belongs to the cache's manager otherwise
      v.attach(q.getManager());
    }
    NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)); // (B, H, T, S + T)
    if (mask != null) {
      scores = scores.add(mask);
    }
    return scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3); // (B, T, H, hd)
  }

  /**
   * [x_t ; x_0] attention without the forbidden quarter. Noisy queries see their own noisy block
   * (M_BD, as per-block products) and earlier clean blocks (M_OBC); clean queries see clean blocks
   * up to their own (M_BC). One softmax per noisy query spans both parts of its keys.
   */
  private static NDArray vectorised(NDArray q, NDArray k, NDArray v, AttentionPlan.Vectorised p) {
    Shape s = q.getShape();
    long b = s.get(0);
    long h = s.get(1);
    long l = s.get(2) / 2;
    long hd = s.get(3);
    long lb = p.blockSize();
    long nb = l / lb;
    NDList qs = q.split(2, 2); // noisy, clean: (B, H, L, hd) each
    NDList ks = k.split(2, 2);
    NDList vs = v.split(2, 2);
    NDArray qn = qs.get(0);
    NDArray kc = ks.get(1);
    NDArray vc = vs.get(1);

    // clean half: M_BC
    NDArray clean =
        qs.get(1).matMul(kc.transpose(0, 1, 3, 2)).add(p.blockCausal()).softmax(-1).matMul(vc);

    // noisy half: own block (B, H, nb, L', L') and earlier clean blocks (B, H, L, L)
    NDArray diagonal =
        qn.reshape(b, h, nb, lb, hd)
            .matMul(ks.get(0).reshape(b, h, nb, lb, hd).transpose(0, 1, 2, 4, 3))
            .reshape(b, h, l, lb);
    NDArray earlier = qn.matMul(kc.transpose(0, 1, 3, 2)).add(p.offsetBlockCausal());
    NDList weights = diagonal.concat(earlier, 3).softmax(-1).split(new long[] {lb}, 3);
    NDArray noisy =
        weights
            .get(0)
            .reshape(b, h, nb, lb, lb)
            .matMul(vs.get(0).reshape(b, h, nb, lb, hd))
            .reshape(b, h, l, hd)
            .add(weights.get(1).matMul(vc));
    // heads last before the concatenation, so that merging them afterwards needs no copy
    return noisy.transpose(0, 2, 1, 3).concat(clean.transpose(0, 2, 1, 3), 1); // (B, 2L, H, hd)
  }

  /** An additive mask (0 = may attend, -inf = may not) from a boolean one of (rows, cols). */
  public static NDArray additiveMask(NDManager manager, boolean[] allowed, int rows, int cols) {
    float[] values = new float[allowed.length];
    for (int i = 0; i < values.length; i++) {
      values[i] = allowed[i] ? 0f : Float.NEGATIVE_INFINITY;
    }
    return manager.create(values, new Shape(rows, cols));
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    throw new UnsupportedOperationException("call forward(x, angles, plan, past)");
  }
}
