package dev.bd3.model.sample;

import dev.bd3.jobs.SampleSpec;

/**
 * How to generate.
 *
 * @param kind the denoising rule within a block
 * @param steps DDPM: denoising steps T per block (time grid 1 -> 0); ignored by the others
 * @param topP nucleus filtering of p_theta before every draw (1 = none; reference 0.9)
 * @param temperature divides the logits before p_theta is taken (1 = none; 0 = the most likely id)
 * @param tokensPerStep parallel: tokens committed per step (by confidence)
 * @param confidence threshold: the probability of its most likely token at which a position is
 *     committed (at least the most confident one per step)
 * @param maxTokens stop after this many generated tokens (prompt excluded)
 * @param stopOnEos stop a sample at its first EOS
 * @param entropyThreshold stop when the unigram entropy (nats) of the last {@code entropyWindow}
 *     tokens falls below this (degenerate text); 0 = never
 * @param entropyWindow tokens the entropy rule looks at (reference 256)
 * @param seed the draws' random seed
 * @param validUtf8 mask the tokens that would make the text invalid UTF-8
 */
public record SamplerConfig(
    Kind kind,
    int steps,
    double topP,
    double temperature,
    int tokensPerStep,
    double confidence,
    int maxTokens,
    boolean stopOnEos,
    double entropyThreshold,
    int entropyWindow,
    long seed,
    boolean validUtf8) {

  /** Denoising rules. */
  public enum Kind {
    /** Posterior steps t -> s: a masked token stays masked with probability s / t. */
    DDPM,
    /** One uniformly chosen masked position per step: L' evaluations per block. */
    FIRST_HITTING,
    /** The {@code tokensPerStep} most confident masked positions per step. */
    PARALLEL,
    /** Every masked position at least {@code confidence} sure, at least one, per step. */
    THRESHOLD;

    public static Kind parse(String name) {
      return valueOf(name.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    }
  }

  /** Tokens the entropy stopping rule looks at, as in the reference. */
  public static final int ENTROPY_WINDOW = 256;

  public SamplerConfig {
    if (steps < 1 || tokensPerStep < 1 || maxTokens < 1 || entropyWindow < 1) {
      throw new IllegalArgumentException("steps, tokensPerStep, maxTokens, entropyWindow >= 1");
    }
    if (!(topP > 0 && topP <= 1) || !(confidence > 0 && confidence <= 1)) {
      throw new IllegalArgumentException("topP and confidence must lie in (0, 1]");
    }
    if (!(temperature >= 0 && Double.isFinite(temperature))) {
      throw new IllegalArgumentException("temperature must be finite and at least 0");
    }
  }

  /**
   * The job contract's defaults (DDPM with T = L' steps, nucleus 0.9, EOS stopping, an entropy
   * floor of 1.5 nats) for a model of block size {@code blockSize}.
   */
  public static SamplerConfig defaults(int blockSize, int maxTokens, long seed) {
    return of(
        new SampleSpec(
            null, null, null, null, maxTokens, null, null, null, null, null, null, null, null, null,
            null, null, seed),
        blockSize);
  }

  /** A sample job's sampler for a model of block size {@code blockSize}, defaults resolved. */
  public static SamplerConfig of(SampleSpec spec, int blockSize) {
    SampleSpec s = spec.resolved(blockSize);
    return new SamplerConfig(
        Kind.parse(s.sampler()),
        s.steps(),
        s.topP(),
        s.temperature(),
        s.tokensPerStep(),
        s.confidence(),
        s.maxTokens(),
        s.stopOnEos(),
        s.entropyThreshold(),
        ENTROPY_WINDOW,
        s.seed(),
        s.validUtf8());
  }

  /** The nucleus a draw keeps: at temperature 0, the most likely id alone. */
  public double nucleus() {
    return temperature == 0 ? 0 : topP;
  }
}
