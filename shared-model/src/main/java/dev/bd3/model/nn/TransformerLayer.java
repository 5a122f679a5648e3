package dev.bd3.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/** A pre-norm transformer layer: x = x + attn(norm1(x)); x = x + mlp(norm2(x)). */
public final class TransformerLayer extends ModelBlock {
  private final float dropout;
  private final BiaslessLayerNorm norm1;
  private final Attention attention;
  private final BiaslessLayerNorm norm2;
  private final FeedForward mlp;

  TransformerLayer(ModelConfig config) {
    this.dropout = (float) config.dropout();
    norm1 = addChildBlock("norm1", new BiaslessLayerNorm(config.width()));
    attention = addChildBlock("attention", new Attention(config));
    norm2 = addChildBlock("norm2", new BiaslessLayerNorm(config.width()));
    mlp = addChildBlock("mlp", new FeedForward(config));
  }

  /** The layer's output for x (B, T, D) and the keys and values of its T tokens. */
  public Attention.Output forward(
      NDArray x, NDList angles, AttentionPlan plan, LayerKv past, boolean training) {
    Attention.Output a = attention.forward(norm1.forward(x), angles, plan, past);
    x = x.add(drop(a.hidden(), training));
    x = x.add(drop(mlp.forward(norm2.forward(x)), training));
    return new Attention.Output(x, a.kv());
  }

  /** The layer's weights in the order ScriptedForward reads them. */
  List<NDArray> weights() {
    List<NDArray> w = new ArrayList<>();
    w.add(norm1.weight());
    w.addAll(attention.weights());
    w.add(norm2.weight());
    w.addAll(mlp.weights());
    return w;
  }

  private NDArray drop(NDArray x, boolean training) {
    return training && dropout > 0 ? Dropout.dropout(x, dropout, true).head() : x;
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    throw new UnsupportedOperationException("call forward(x, angles, plan, past, training)");
  }
}
