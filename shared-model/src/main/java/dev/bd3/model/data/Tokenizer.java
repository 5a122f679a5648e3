package dev.bd3.model.data;

import dev.bd3.model.spec.Vocabulary;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Text to token ids and back. A tokenizer is part of a model: it fixes the vocabulary, and with it
 * the special ids. Every token stands for a sequence of UTF-8 bytes (one byte, or a BPE merge that
 * may end inside a character); special ids stand for none. MASK is the last id, as the reference
 * appends it to the tokenizer's vocabulary.
 */
public interface Tokenizer {

  /** The tokenizer of a vocabulary (each made once). */
  static Tokenizer of(Vocabulary vocabulary) {
    return switch (vocabulary) {
      case BYTES -> ByteTokenizer.INSTANCE;
      case GPT2 -> Gpt2Tokenizer.instance();
    };
  }

  /** The tokenizer of that name ({@code bytes}, {@code gpt2}). */
  static Tokenizer named(String name) {
    return of(Vocabulary.of(name));
  }

  Vocabulary vocabulary();

  default String name() {
    return vocabulary().json();
  }

  /** Ids the model reads, MASK included. */
  default int vocabSize() {
    return vocabulary().size;
  }

  /** The absorbing state of the diffusion, never predicted: the last id. */
  default int mask() {
    return vocabSize() - 1;
  }

  /** The id at position 0 of every sequence: never masked, never scored. */
  int bos();

  /** The id between documents, and the one that ends a sample. */
  int eos();

  /** The id that fills a sequence past its text. */
  int pad();

  /** The ids of {@code text}, without BOS or EOS. */
  int[] encode(String text);

  /** The UTF-8 bytes id stands for; none for a special id. */
  byte[] bytes(int id);

  /**
   * The bytes id stands for in text, a special id counting as one (EOS separates documents as a
   * newline would): what bits per byte divide by, alike for every tokenizer.
   */
  default int textBytes(int id) {
    int n = bytes(id).length;
    return n == 0 ? 1 : n;
  }

  /** The bytes of a run of ids. */
  default byte[] bytes(int[] ids, int from, int to) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = from; i < to; i++) {
      out.writeBytes(bytes(ids[i]));
    }
    return out.toByteArray();
  }

  /**
   * The text of {@code ids}; special ids are left out and a malformed UTF-8 sequence (a BPE token
   * cut inside a character) becomes U+FFFD, so the result is always valid text.
   */
  default String decode(int[] ids) {
    CharsetDecoder decoder = utf8(CodingErrorAction.REPLACE);
    try {
      return decoder.decode(ByteBuffer.wrap(bytes(ids, 0, ids.length))).toString();
    } catch (CharacterCodingException e) {
      throw new IllegalStateException("REPLACE never throws", e);
    }
  }

  /** Like {@link #decode(int[])} but fails on malformed UTF-8 instead of replacing it. */
  default String decodeStrict(int[] ids) throws CharacterCodingException {
    return utf8(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes(ids, 0, ids.length)))
        .toString();
  }

  /** A decoder for text that arrives in pieces (the blocks of a sample). */
  default Stream stream() {
    return new Stream(this);
  }

  private static CharsetDecoder utf8(CodingErrorAction onError) {
    return StandardCharsets.UTF_8
        .newDecoder()
        .onMalformedInput(onError)
        .onUnmappableCharacter(onError);
  }

  /**
   * Decodes text that arrives in pieces: each piece gives the characters completed so far, and the
   * bytes of a character cut by the piece's end (a block boundary, or a BPE token ending inside a
   * character) wait for the next one, so a character split across two pieces is not streamed as two
   * replacement characters.
   */
  final class Stream {
    private final Tokenizer tokenizer;
    private final CharsetDecoder decoder = utf8(CodingErrorAction.REPLACE);
    private ByteBuffer pending = ByteBuffer.allocate(0);

    Stream(Tokenizer tokenizer) {
      this.tokenizer = tokenizer;
    }

    /** The text the bytes of {@code ids} complete (special ids left out). */
    public String next(int[] ids) {
      byte[] bytes = tokenizer.bytes(ids, 0, ids.length);
      ByteBuffer in = ByteBuffer.allocate(pending.remaining() + bytes.length);
      in.put(pending).put(bytes).flip();
      CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
      decoder.decode(in, out, false); // stops before an incomplete character at the end
      pending = in.slice();
      return out.flip().toString();
    }
  }
}
