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
import dev.bd3.model.diffusion.BlockDiffusionMask;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The BD3-LM backbone, the reference's DIT: token embedding, transformer layers, final norm and a
 * zero-initialised output layer (untied). A diffusion model modulates its layers and its final norm
 * by adaLN-Zero from the conditioning vector c ({@link SigmaEmbedding}); the causal model has no
 * conditioning and attends causally. Its logits follow the SUBS parameterisation: MASK is never
 * predicted.
 *
 * <p>Shapes: B batch, L context length, L' block size, T tokens of a call, D width, V vocabulary.
 */
public final class Bd3Lm extends ModelBlock {
  private final ModelConfig config;
  private final Parameter embedding; // (V, D)
  private final List<TransformerLayer> layers = new ArrayList<>();
  private final BiaslessLayerNorm finalNorm;
  private final SigmaEmbedding sigmaEmbedding; // null without adaLN
  private final Modulation finalModulation; // shift and scale; null without adaLN
  private final Parameter outputWeight; // (V, D), zero at start
  private final Parameter outputBias; // (V)
  private final Map<String, NDArray> constants = new ConcurrentHashMap<>();

  public Bd3Lm(ModelConfig config) {
    this.config = config;
    embedding =
        addParameter(
            Weights.linear(
                "embedding", config.vocabSize(), config.width(), Weights.fanIn(config.width())));
    sigmaEmbedding =
        config.adaLn() ? addChildBlock("sigma", new SigmaEmbedding(config.condDim())) : null;
    for (int i = 0; i < config.layers(); i++) {
      layers.add(addChildBlock("layer" + i, new TransformerLayer(config)));
    }
    finalNorm = addChildBlock("finalNorm", new BiaslessLayerNorm(config.width()));
    finalModulation =
        config.adaLn()
            ? addChildBlock("finalModulation", new Modulation(config.condDim(), config.width(), 2))
            : null;
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
   * logits of the noisy half, (B, L, V). The clean half restarts at position 0. Sigma is 0.
   */
  public NDArray denoise(NDArray xt, NDArray x0, boolean training) {
    return denoise(xt, x0, null, training);
  }

  /**
   * As {@link #denoise(NDArray, NDArray, boolean)} at noise levels sigma (B), read only with time
   * conditioning (null: 0).
   */
  public NDArray denoise(NDArray xt, NDArray x0, NDArray sigma, boolean training) {
    return subs(vectorised(xt, x0, sigma, training));
  }

  /**
   * The reference's {@code DIT.forward} on {@code [x_t ; x_0]} at sigma 0: the raw output of the
   * noisy half, before SUBS, (B, L, V). What its checkpoints are compared by.
   */
  public NDArray backbone(NDArray xt, NDArray x0) {
    return vectorised(xt, x0, null, false);
  }

  private NDArray vectorised(NDArray xt, NDArray x0, NDArray sigma, boolean training) {
    requireDiffusion();
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
    NDArray c = conditioning(sigma, m);
    NDArray hidden = run(tokens, positions, c, plan, null, training, null);
    return output(hidden.get(":, :" + l), c); // only the noisy half carries loss
  }

  /**
   * The causal model's forward over tokens (B, T), T at most L: logits (B, T, V), position i
   * predicting token i + 1.
   */
  public NDArray nextTokenLogits(NDArray tokens, boolean training) {
    return subs(causal(tokens, training));
  }

  /** The reference's {@code DIT.forward} of the causal model: raw output, before SUBS. */
  public NDArray backbone(NDArray tokens) {
    return causal(tokens, false);
  }

  private NDArray causal(NDArray tokens, boolean training) {
    if (!config.causal()) {
      throw new IllegalStateException("a diffusion model predicts masked tokens, not the next one");
    }
    int t = (int) tokens.getShape().get(1);
    NDManager m = tokens.getManager();
    NDArray mask = constant("causal" + t, () -> additive(BlockDiffusionMask.blockCausal(t, 1), t));
    NDArray positions = m.arange(0, t, 1, DataType.INT64);
    NDArray hidden =
        run(tokens, positions, null, new AttentionPlan.Dense(mask), null, training, null);
    return output(hidden, null);
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
    return forward(tokens, positions, null, cache, mask, training);
  }

  /** As the other forward, at noise levels sigma (B; null: 0) for a time-conditioned model. */
  public Output forward(
      NDArray tokens,
      NDArray positions,
      NDArray sigma,
      KvCache cache,
      NDArray mask,
      boolean training) {
    List<LayerKv> kv = new ArrayList<>(layers.size());
    NDArray c = conditioning(sigma, tokens.getManager());
    NDArray hidden = run(tokens, positions, c, new AttentionPlan.Dense(mask), cache, training, kv);
    return new Output(subs(output(hidden, c)), kv);
  }

  /**
   * c for noise levels sigma (B): (B, C); sigma 0 for all when null or without time conditioning,
   * then (1, C) for every sequence alike. Null without adaLN.
   */
  NDArray conditioning(NDArray sigma, NDManager m) {
    if (sigmaEmbedding == null) {
      return null;
    }
    NDArray s = sigma == null || !config.timeConditioning() ? m.zeros(new Shape(1)) : sigma;
    return sigmaEmbedding.forward(s);
  }

  private NDArray run(
      NDArray tokens,
      NDArray positions,
      NDArray c,
      AttentionPlan plan,
      KvCache cache,
      boolean training,
      List<LayerKv> kvOut) {
    NDArray x = Embedding.embedding(tokens, embedding.getArray(), SparseFormat.DENSE).head();
    NDList angles = RotaryEmbedding.angles(positions, config.headSize());
    for (int i = 0; i < layers.size(); i++) {
      LayerKv past = cache == null ? null : cache.layer(i);
      Attention.Output out = layers.get(i).forward(x, c, angles, plan, past, training);
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
    if (finalModulation != null) {
      weights.addAll(finalModulation.weights());
    }
    weights.add(outputWeight.getArray());
    weights.add(outputBias.getArray());
    return new ScriptedForward(this, weights);
  }

  /** The output layer: final norm (modulated with adaLN), then the linear map to V logits. */
  private NDArray output(NDArray hidden, NDArray c) {
    NDArray h = finalNorm.forward(hidden);
    if (finalModulation != null) {
      NDList shiftScale = finalModulation.forward(c);
      h = Modulation.modulate(h, shiftScale.get(0), shiftScale.get(1));
    }
    return Linear.linear(h, outputWeight.getArray(), outputBias.getArray()).head();
  }

  /** SUBS: the MASK logit is -inf, so log p(MASK) = -inf and MASK is never drawn. */
  private NDArray subs(NDArray logits) {
    return logits.add(constant("subs", this::subsMask));
  }

  private NDArray subsMask() {
    float[] subs = new float[config.vocabSize()];
    subs[config.vocabSize() - 1] = Float.NEGATIVE_INFINITY; // MASK, the last id
    return embedding.getArray().getManager().create(subs);
  }

  /** Constants (masks of (L, L'), the SUBS vector): built once, kept with the weights. */
  private NDArray constant(String name, Supplier<NDArray> make) {
    return constants.computeIfAbsent(name, key -> make.get());
  }

  private NDArray additive(boolean[] mask) {
    return additive(mask, config.contextLength());
  }

  private NDArray additive(boolean[] mask, int l) {
    return Attention.additiveMask(embedding.getArray().getManager(), mask, l, l);
  }

  private void requireDiffusion() {
    if (config.causal()) {
      throw new IllegalStateException("the causal model reads clean tokens, not [x_t ; x_0]");
    }
  }

  /**
   * Every parameter under its name in the reference's DIT ({@code state_dict} keys, which the
   * release layout prefixes with {@code backbone.}): the map to and from the authors' checkpoints.
   */
  public Map<String, Parameter> referenceNames() {
    Map<String, Parameter> out = new LinkedHashMap<>();
    out.put("vocab_embed.embedding", embedding);
    if (sigmaEmbedding != null) {
      sigmaEmbedding.name("sigma_map.", out);
    }
    for (int i = 0; i < layers.size(); i++) {
      layers.get(i).name("blocks." + i + ".", out);
    }
    out.put("output_layer.norm_final.weight", finalNorm.parameter());
    out.put("output_layer.linear.weight", outputWeight);
    out.put("output_layer.linear.bias", outputBias);
    if (finalModulation != null) {
      finalModulation.name("output_layer.", out);
    }
    return out;
  }

  /**
   * The model's parameters in the order of their {@link dev.bd3.model.spec.TensorLayout} (the
   * reference's): how checkpoints, the optimizer and the moving average list them.
   */
  public List<Parameter> parameterList() {
    return new ArrayList<>(referenceNames().values());
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    return new NDList(
        config.causal()
            ? nextTokenLogits(inputs.get(0), training)
            : denoise(inputs.get(0), inputs.get(1), training));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape x = inputShapes[0];
    return new Shape[] {new Shape(x.get(0), x.get(1), config.vocabSize())};
  }
}
