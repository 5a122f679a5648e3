package dev.bd3.jobs;

import dev.bd3.model.spec.ModelPreset;
import dev.bd3.model.spec.TensorLayout;

/**
 * What a job will need, estimated from its effective spec and its model's shape, so that the
 * gateway can refuse a job no worker of the pool could hold. Memory counts float32 tensors: for
 * training the weights, their gradients, AdamW's two moments and the moving average (5 copies), the
 * activations kept for the backward pass of the vectorised [x_t ; x_0] pass over 2L tokens (about
 * 16 D values a token and layer, plus the attention scores and probabilities, 2 H (2L)^2 a layer,
 * as DJL has no fused attention) and the logits; for sampling the weights and the KV cache of every
 * sample; for evaluation one forward pass without gradients. Work counts tokens processed.
 */
public final class ResourceEstimate {
  private static final long FLOAT = 4;

  private ResourceEstimate() {}

  /** Parameters of a model of this shape (the sum of its {@link TensorLayout}). */
  public static long parameters(int vocabulary, int layers, int width, int mlpRatio, int cond) {
    return new TensorLayout(vocabulary, layers, width, mlpRatio, cond).parameters();
  }

  /** Bytes a training job holds at its peak. */
  public static long trainingMemory(TrainSpec spec) {
    TrainSpec s = spec.resolved();
    long tokens = 2L * s.contextLength(); // the vectorised pass over [x_t ; x_0]
    long perLayer = 16L * tokens * s.width() + 2L * s.heads() * tokens * tokens;
    long activations = (long) s.batchSize() * s.layers() * perLayer;
    long logits = 3L * s.batchSize() * s.contextLength() * s.vocabulary().size;
    return FLOAT * (5 * parameters(s) + activations + logits);
  }

  /** Tokens a training job processes: steps x batch x context. */
  public static double trainingWork(TrainSpec spec) {
    TrainSpec s = spec.resolved();
    return (double) s.steps() * s.batchSize() * s.contextLength();
  }

  /** Bytes a sample job holds: the weights and the KV cache of every sample over one context. */
  public static long samplingMemory(SampleSpec spec, TrainSpec model) {
    TrainSpec m = model.resolved();
    SampleSpec s = spec.resolved(m.blockSize());
    long cache = 2L * s.numSamples() * m.layers() * m.contextLength() * m.width();
    long scores = (long) s.numSamples() * m.heads() * m.blockSize() * 2L * m.contextLength();
    // the prompt's prefill: one sequence, at most a window of L tokens, whatever the prompt's size
    long window = Math.min(m.contextLength(), promptTokensAtMost(s.prompt()));
    long prefill = m.heads() * window * window + 4L * window * m.width();
    // p_theta of every position of a block, in float64 on the host (2 floats' worth)
    long probabilities = 2L * s.numSamples() * m.blockSize() * m.vocabulary().size;
    return FLOAT * (parameters(m) + cache + scores + prefill + probabilities);
  }

  /** No tokenizer makes more tokens of a text than its UTF-8 bytes, plus BOS. */
  private static long promptTokensAtMost(String prompt) {
    return prompt.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 1L;
  }

  /** Tokens a sample job generates: samples x length. */
  public static double samplingWork(SampleSpec spec, TrainSpec model) {
    SampleSpec s = spec.resolved(model.resolved().blockSize());
    return (double) s.numSamples() * s.maxTokens();
  }

  /** Bytes an evaluation holds: the weights and one batch's forward pass (no gradients). */
  public static long evaluationMemory(EvalSpec spec, TrainSpec model) {
    TrainSpec m = model.resolved();
    EvalSpec e = spec.resolved();
    long tokens = 2L * m.contextLength();
    long perLayer = 4L * tokens * m.width() + (long) m.heads() * tokens * tokens;
    long samples =
        e.genSamples() == 0 ? 0 : 2L * e.genSamples() * m.layers() * m.contextLength() * m.width();
    return FLOAT * (2 * parameters(m) + (long) e.batchSize() * perLayer + samples);
  }

  /** Tokens an evaluation scores (each Monte Carlo draw anew) and generates. */
  public static double evaluationWork(EvalSpec spec, TrainSpec model) {
    TrainSpec m = model.resolved();
    EvalSpec e = spec.resolved();
    return (double) e.maxSequences() * m.contextLength() * e.mcDraws()
        + (double) e.genSamples() * m.contextLength();
  }

  private static long parameters(TrainSpec s) {
    ModelPreset p = ModelPreset.of(s.preset());
    return parameters(s.vocabulary().size, s.layers(), s.width(), p.mlpRatio, s.condDim());
  }
}
