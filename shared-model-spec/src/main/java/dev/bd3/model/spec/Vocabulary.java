package dev.bd3.model.spec;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The tokenizers a model may read, with the number of ids each gives the model (its tokens, then
 * MASK as the last id, as the reference appends it). The model library implements them; this is the
 * one list, so that the gateway can size and validate jobs without it.
 */
public enum Vocabulary {
  /** UTF-8 bytes, then BOS, EOS, PAD and MASK: no vocabulary file, every language alike. */
  BYTES(260),
  /** GPT-2's BPE (50,257 tokens, EOS = BOS = 50256), the paper's for OpenWebText, then MASK. */
  GPT2(50_258);

  /** The names as a validation pattern (a test checks it against the constants). */
  public static final String PATTERN = "bytes|gpt2";

  /** The tokenizer of a spec that names none. */
  public static final Vocabulary DEFAULT = BYTES;

  /** Ids the model reads, MASK included. */
  public final int size;

  Vocabulary(int size) {
    this.size = size;
  }

  /** The name in job specs and checkpoints: {@code bytes}, {@code gpt2}. */
  @JsonValue
  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The tokenizer of that name, if there is one. */
  public static Optional<Vocabulary> named(String name) {
    return Arrays.stream(values()).filter(v -> v.json().equals(name)).findFirst();
  }

  /** The tokenizer of that name; an unknown name is an error. */
  public static Vocabulary of(String name) {
    return named(name)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "unknown tokenizer " + name + "; known: " + Arrays.toString(values())));
  }

  /** The tokenizer whose vocabulary has {@code size} ids, if any. */
  public static Optional<Vocabulary> ofSize(int size) {
    return Arrays.stream(values()).filter(v -> v.size == size).findFirst();
  }

  @Override
  public String toString() {
    return json();
  }
}
