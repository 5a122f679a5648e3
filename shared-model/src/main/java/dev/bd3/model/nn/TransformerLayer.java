package dev.bd3.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A pre-norm transformer layer. With adaLN-Zero (diffusion models), c gives a shift, scale and gate
 * for each branch: x = x + gate_msa attn(norm1(x) (1 + scale_msa) + shift_msa), then the same for
 * the MLP; without it (the causal model) x = x + attn(norm1(x)); x = x + mlp(norm2(x)).
 */
public final class TransformerLayer extends ModelBlock {
  private final float dropout;
  private final BiaslessLayerNorm norm1;
  private final Attention attention;
  private final BiaslessLayerNorm norm2;
  private final FeedForward mlp;
  private final Modulation modulation; // null without adaLN

  TransformerLayer(ModelConfig config) {
    this.dropout = (float) config.dropout();
    norm1 = addChildBlock("norm1", new BiaslessLayerNorm(config.width()));
    attention = addChildBlock("attention", new Attention(config));
    norm2 = addChildBlock("norm2", new BiaslessLayerNorm(config.width()));
    mlp = addChildBlock("mlp", new FeedForward(config));
    modulation =
        config.adaLn()
            ? addChildBlock("modulation", new Modulation(config.condDim(), config.width(), 6))
            : null;
  }

  /**
   * The layer's output for x (B, T, D) under conditioning c ((1 or B, C); null without adaLN) and
   * the keys and values of its T tokens.
   */
  public Attention.Output forward(
      NDArray x, NDArray c, NDList angles, AttentionPlan plan, LayerKv past, boolean training) {
    NDList m = modulation == null ? null : modulation.forward(c); // 6 x (N, 1, D)
    NDArray h = norm1.forward(x);
    if (m != null) {
      h = Modulation.modulate(h, m.get(0), m.get(1));
    }
    Attention.Output a = attention.forward(h, angles, plan, past);
    x = x.add(gated(drop(a.hidden(), training), m, 2));
    h = norm2.forward(x);
    if (m != null) {
      h = Modulation.modulate(h, m.get(3), m.get(4));
    }
    x = x.add(gated(drop(mlp.forward(h), training), m, 5));
    return new Attention.Output(x, a.kv());
  }

  /** Its weights under the reference's names ({@code DDiTBlock}'s). */
  void name(String prefix, Map<String, Parameter> out) {
    out.put(prefix + "norm1.weight", norm1.parameter());
    attention.name(prefix, out);
    out.put(prefix + "norm2.weight", norm2.parameter());
    mlp.name(prefix, out);
    if (modulation != null) {
      modulation.name(prefix, out);
    }
  }

  /** The layer's weights in the order ScriptedForward reads them. */
  List<NDArray> weights() {
    List<NDArray> w = new ArrayList<>();
    w.add(norm1.weight());
    w.addAll(attention.weights());
    w.add(norm2.weight());
    w.addAll(mlp.weights());
    if (modulation != null) {
      w.addAll(modulation.weights());
    }
    return w;
  }

  private static NDArray gated(NDArray branch, NDList m, int gate) {
    return m == null ? branch : branch.mul(m.get(gate));
  }

  private NDArray drop(NDArray x, boolean training) {
    return training && dropout > 0 ? Dropout.dropout(x, dropout, true).head() : x;
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    throw new UnsupportedOperationException("call forward(x, c, angles, plan, past, training)");
  }
}
