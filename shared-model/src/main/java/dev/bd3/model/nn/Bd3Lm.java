package dev.bd3.model.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import dev.bd3.model.data.ByteTokenizer;
import dev.bd3.model.diffusion.BlockDiffusionMask;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The BD3-LM backbone: token embedding, transformer layers, final norm and a zero-initialised
 * output layer (untied), with no time conditioning. Its logits follow the SUBS parameterisation:
 * MASK is never predicted.
 *
 * <p>Shapes: B batch, L context length, L' block size, T tokens of a call, D width, V vocabulary.
 */
public final class Bd3Lm extends ModelBlock {
  private final ModelConfig config;
  private final Parameter embedding; // (V, D)
  private final List<TransformerLayer> layers = new ArrayList<>();
  private final BiaslessLayerNorm finalNorm;
  private final Parameter outputWeight; // (V, D), zero at start
  private final Parameter outputBias; // (V)
  private final Map<String, NDArray> constants = new ConcurrentHashMap<>();

  public Bd3Lm(ModelConfig config) {
    this.config = config;
    embedding =
        addParameter(
            Weights.linear(
                "embedding", config.vocabSize(), config.width(), Weights.fanIn(config.width())));
    for (int i = 0; i < config.layers(); i++) {
      layers.add(addChildBlock("layer" + i, new TransformerLayer(config)));
    }
    finalNorm = addChildBlock("finalNorm", new BiaslessLayerNorm(config.width()));
    outputWeight =
        addParameter(
            Weights.linear("output", config.vocabSize(), config.width(), Initializer.ZEROS));
    outputBias =
        addParameter(
            Weights.vector(
                "outputBias", Parameter.Type.BIAS, config.vocabSize(), Initializer.ZEROS));
  }

  /** A freshly initialised model on the manager's device; the same seed gives the same weights. */
  public static Bd3Lm create(ModelConfig config, NDManager manager, long seed) {
    Engine.getInstance().setRandomSeed((int) seed);
    Bd3Lm model = new Bd3Lm(config);
    model.initialize(manager, DataType.FLOAT32, new Shape(1, config.contextLength()));
    return model;
  }

  public ModelConfig config() {
    return config;
  }

  /**
   * Vectorised training forward over {@code [x_t ; x_0]}: x_t and x_0 are (B, L); returns the
   * logits of the noisy half, (B, L, V). The clean half restarts at position 0.
   */
  public NDArray denoise(NDArray xt, NDArray x0, boolean training) {
    int l = config.contextLength();
    NDManager m = xt.getManager();
    NDArray tokens = xt.concat(x0, 1); // (B, 2L)
    NDArray positions = m.arange(0, l, 1, DataType.INT64).tile(2); // (2L)
    AttentionPlan plan =
        new AttentionPlan.Vectorised(
            config.blockSize(),
            constant(
                "obc", () -> additive(BlockDiffusionMask.offsetBlockCausal(l, config.blockSize()))),
            constant("bc", () -> additive(BlockDiffusionMask.blockCausal(l, config.blockSize()))));
    NDArray hidden = run(tokens, positions, plan, null, training, null);
    return logits(hidden.get(":, :" + l)); // only the noisy half carries loss
  }

  /** The logits of a call and the keys and values its tokens produced in each layer. */
  public record Output(NDArray logits, List<LayerKv> kv) {}

  /**
   * Forward over tokens (B, T) at positions (T), attending to {@code cache} (null for none) and to
   * themselves as {@code mask} (additive, (T, S + T); null for all) allows. Used for sampling with
   * a KV cache and for reference computations.
   */
  public Output forward(
      NDArray tokens, NDArray positions, KvCache cache, NDArray mask, boolean training) {
    List<LayerKv> kv = new ArrayList<>(layers.size());
    NDArray hidden = run(tokens, positions, new AttentionPlan.Dense(mask), cache, training, kv);
    return new Output(logits(hidden), kv);
  }

  private NDArray run(
      NDArray tokens,
      NDArray positions,
      AttentionPlan plan,
      KvCache cache,
      boolean training,
      List<LayerKv> kvOut) {
    NDArray x = Embedding.embedding(tokens, embedding.getArray(), SparseFormat.DENSE).head();
    NDList angles = RotaryEmbedding.angles(positions, config.headSize());
    for (int i = 0; i < layers.size(); i++) {
      LayerKv past = cache == null ? null : cache.layer(i);
      Attention.Output out = layers.get(i).forward(x, angles, plan, past, training);
      x = out.hidden();
      if (kvOut != null) {
        kvOut.add(out.kv());
      }
    }
    return x;
  }

  /**
   * This model's forward without gradients as one TorchScript call (see {@link ScriptedForward});
   * the caller closes it.
   */
  public ScriptedForward scripted() {
    NDManager m = embedding.getArray().getManager();
    List<NDArray> weights = new ArrayList<>();
    weights.add(embedding.getArray());
    weights.add(
        constant("inverse", () -> m.create(RotaryEmbedding.inverseFrequencies(config.headSize()))));
    weights.add(constant("scale", () -> m.create(Attention.scale(config.headSize()))));
    weights.add(constant("subs", this::subsMask));
    layers.forEach(layer -> weights.addAll(layer.weights()));
    weights.add(finalNorm.weight());
    weights.add(outputWeight.getArray());
    weights.add(outputBias.getArray());
    return new ScriptedForward(weights, config.heads(), config.layers());
  }

  /** SUBS: the MASK logit is -inf, so log p(MASK) = -inf and MASK is never drawn. */
  private NDArray logits(NDArray hidden) {
    NDArray h = finalNorm.forward(hidden);
    NDArray z = Linear.linear(h, outputWeight.getArray(), outputBias.getArray()).head();
    return z.add(constant("subs", () -> subsMask()));
  }

  private NDArray subsMask() {
    float[] subs = new float[config.vocabSize()];
    subs[ByteTokenizer.MASK] = Float.NEGATIVE_INFINITY;
    return embedding.getArray().getManager().create(subs);
  }

  /** Constants (masks of (L, L'), the SUBS vector): built once, kept with the weights. */
  private NDArray constant(String name, Supplier<NDArray> make) {
    return constants.computeIfAbsent(name, key -> make.get());
  }

  private NDArray additive(boolean[] mask) {
    int l = config.contextLength();
    return Attention.additiveMask(embedding.getArray().getManager(), mask, l, l);
  }

  /** The model's parameters, in a fixed order (for checkpoints and the optimizer). */
  public List<Parameter> parameterList() {
    List<Parameter> out = new ArrayList<>();
    getParameters().forEach(p -> out.add(p.getValue()));
    return out;
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    return new NDList(denoise(inputs.get(0), inputs.get(1), training));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape x = inputShapes[0];
    return new Shape[] {new Shape(x.get(0), x.get(1), config.vocabSize())};
  }
}
