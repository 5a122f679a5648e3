package dev.bd3.model.spec;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The rules that denoise a block, by the names a sample job gives them. */
public enum SamplerRule {
  /** Posterior steps t -> s: a masked token stays masked with probability s / t. */
  DDPM,
  /** One uniformly chosen masked position per step: L' evaluations per block. */
  FIRST_HITTING,
  /** The {@code tokensPerStep} most confident masked positions per step. */
  PARALLEL,
  /** Every masked position at least {@code confidence} sure, at least one, per step. */
  THRESHOLD;

  /**
   * Every rule's name, as a pattern that accepts exactly them. Annotations (the job contract's
   * validation) need a constant, so it is written out; {@link #names()} is what the enum says, and
   * a test keeps the two equal.
   */
  public static final String NAMES = "ddpm|first-hitting|parallel|threshold";

  /** The name a job gives the rule ({@code first-hitting}). */
  public String json() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The rule of a name a job gives. */
  public static SamplerRule parse(String name) {
    return valueOf(name.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
  }

  /** Every rule's name joined by {@code |}, in declaration order. */
  public static String names() {
    return Arrays.stream(values()).map(SamplerRule::json).collect(Collectors.joining("|"));
  }
}
