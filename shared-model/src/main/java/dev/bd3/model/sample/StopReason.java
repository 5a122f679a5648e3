package dev.bd3.model.sample;

/** Why a sample ended. */
public enum StopReason {
  /** It produced EOS. */
  EOS,
  /** Its last tokens became degenerate (unigram entropy under the threshold). */
  LOW_ENTROPY,
  /** It reached the maximum length. */
  MAX_LENGTH,
  /** Generation was cancelled before it ended. */
  CANCELLED;

  public String json() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
