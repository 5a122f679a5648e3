package dev.bd3.model.data;

import dev.bd3.model.spec.Vocabulary;
import java.nio.charset.StandardCharsets;

/**
 * Byte-level tokenizer: ids 0..255 are the bytes of UTF-8 text, followed by BOS, EOS, PAD and MASK.
 * It needs no vocabulary file and covers every language of the corpus.
 */
public final class ByteTokenizer implements Tokenizer {
  static final ByteTokenizer INSTANCE = new ByteTokenizer();
  private static final int BOS = 256;
  private static final int EOS = 257;
  private static final int PAD = 258;
  private static final byte[][] BYTES = new byte[256][];

  static {
    for (int b = 0; b < 256; b++) {
      BYTES[b] = new byte[] {(byte) b};
    }
  }

  private ByteTokenizer() {}

  @Override
  public Vocabulary vocabulary() {
    return Vocabulary.BYTES;
  }

  @Override
  public int bos() {
    return BOS;
  }

  @Override
  public int eos() {
    return EOS;
  }

  @Override
  public int pad() {
    return PAD;
  }

  /** The UTF-8 bytes of {@code text} as ids. */
  @Override
  public int[] encode(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    int[] ids = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      ids[i] = bytes[i] & 0xff;
    }
    return ids;
  }

  @Override
  public byte[] bytes(int id) {
    return id >= 0 && id < 256 ? BYTES[id] : new byte[0];
  }
}
