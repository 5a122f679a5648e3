package dev.bd3.model.sample;

import dev.bd3.model.spec.SamplerRule;

/**
 * How to generate.
 *
 * @param rule the denoising rule within a block
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
    SamplerRule rule,
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

  /** The nucleus a draw keeps: at temperature 0, the most likely id alone. */
  public double nucleus() {
    return temperature == 0 ? 0 : topP;
  }
}
