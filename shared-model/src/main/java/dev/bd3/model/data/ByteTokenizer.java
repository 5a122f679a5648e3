package dev.bd3.model.data;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Byte-level tokenizer: ids 0..255 are the bytes of UTF-8 text, followed by four special ids. It
 * needs no vocabulary file and covers every language of the corpus.
 */
public final class ByteTokenizer {
  public static final int BOS = 256;
  public static final int EOS = 257;
  public static final int PAD = 258;

  /** The absorbing state of the diffusion; the model never predicts it. */
  public static final int MASK = 259;

  public static final int VOCAB_SIZE = 260;

  private ByteTokenizer() {}

  /** The UTF-8 bytes of {@code text} as ids, without BOS or EOS. */
  public static int[] encode(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    int[] ids = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      ids[i] = bytes[i] & 0xff;
    }
    return ids;
  }

  /**
   * The text of the byte ids in {@code ids}; special ids are left out and a malformed UTF-8
   * sequence becomes U+FFFD, so the result is always valid text.
   */
  public static String decode(int[] ids) {
    return decode(ids, CodingErrorAction.REPLACE);
  }

  /** Like {@link #decode(int[])} but fails on malformed UTF-8 instead of replacing it. */
  public static String decodeStrict(int[] ids) throws CharacterCodingException {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    return decoder.decode(ByteBuffer.wrap(bytesOf(ids))).toString();
  }

  private static String decode(int[] ids, CodingErrorAction onError) {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(onError)
            .onUnmappableCharacter(onError);
    try {
      CharBuffer chars = decoder.decode(ByteBuffer.wrap(bytesOf(ids)));
      return chars.toString();
    } catch (CharacterCodingException e) {
      throw new IllegalStateException("REPLACE never throws", e);
    }
  }

  /**
   * Decodes text that arrives in pieces (the blocks of a sample): each piece gives the characters
   * completed so far, and the bytes of a character cut by the piece's end wait for the next one, so
   * a character split across two blocks is not streamed as two replacement characters.
   */
  public static final class Stream {
    private final CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer pending = ByteBuffer.allocate(0);

    /** The text the bytes of {@code ids} complete (special ids left out). */
    public String next(int[] ids) {
      byte[] bytes = bytesOf(ids);
      ByteBuffer in = ByteBuffer.allocate(pending.remaining() + bytes.length);
      in.put(pending).put(bytes).flip();
      CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
      decoder.decode(in, out, false); // stops before an incomplete character at the end
      pending = in.slice();
      return out.flip().toString();
    }
  }

  private static byte[] bytesOf(int[] ids) {
    int n = 0;
    for (int id : ids) {
      if (isByte(id)) {
        n++;
      }
    }
    byte[] bytes = new byte[n];
    int j = 0;
    for (int id : ids) {
      if (isByte(id)) {
        bytes[j++] = (byte) id;
      }
    }
    return bytes;
  }

  public static boolean isByte(int id) {
    return id >= 0 && id < 256;
  }
}
