package dev.bd3.model.data;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import dev.bd3.model.spec.Vocabulary;

/**
 * GPT-2's byte-level BPE, the paper's tokenizer for OpenWebText: jtokkit's {@code r50k_base}
 * (50,257 tokens, the same merges as GPT-2's), read from its jar. {@code <|endoftext|>} (50256) is
 * BOS, EOS and PAD, as in the reference; MASK is 50257. Text is encoded as ordinary text, so a
 * document that contains the string "<|endoftext|>" cannot inject the special id.
 */
public final class Gpt2Tokenizer implements Tokenizer {
  private static final int END_OF_TEXT = 50_256;
  private static volatile Gpt2Tokenizer instance;

  private final Encoding encoding;
  private final byte[][] bytes; // of every ordinary token

  private Gpt2Tokenizer() {
    encoding = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
    bytes = new byte[END_OF_TEXT][];
    IntArrayList one = new IntArrayList(1);
    one.add(0);
    for (int id = 0; id < END_OF_TEXT; id++) {
      one.set(0, id);
      bytes[id] = encoding.decodeBytes(one);
    }
  }

  static Gpt2Tokenizer instance() {
    Gpt2Tokenizer t = instance;
    if (t == null) {
      synchronized (Gpt2Tokenizer.class) {
        t = instance;
        if (t == null) {
          t = new Gpt2Tokenizer();
          instance = t;
        }
      }
    }
    return t;
  }

  @Override
  public Vocabulary vocabulary() {
    return Vocabulary.GPT2;
  }

  @Override
  public int bos() {
    return END_OF_TEXT;
  }

  @Override
  public int eos() {
    return END_OF_TEXT;
  }

  @Override
  public int pad() {
    return END_OF_TEXT;
  }

  @Override
  public int[] encode(String text) {
    return encoding.encodeOrdinary(text).toArray();
  }

  @Override
  public byte[] bytes(int id) {
    return id >= 0 && id < END_OF_TEXT ? bytes[id] : new byte[0];
  }
}
