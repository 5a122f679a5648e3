package dev.bd3.model.data;

import dev.bd3.model.spec.Vocabulary;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;

/**
 * A corpus's three token streams in one file: a header naming the text (its sha256), the tokenizer
 * and the rules that made the streams, then each split's byte count, length and ids (two bytes each
 * while the vocabulary fits, else four; little-endian). A file whose header names anything else is
 * not read: a stream is only ever the one its text and rules give.
 */
public final class TokenFile {
  /**
   * The rules a stream depends on beyond the text and the vocabulary: how documents are split and
   * joined ({@code CorpusText}, EOS after each). Raise it when they change, and old files are
   * ignored.
   */
  static final int RULES = 1;

  private static final byte[] MAGIC = "BD3TOKENS".getBytes(StandardCharsets.US_ASCII);
  private static final int SPLITS = 3;

  private TokenFile() {}

  /** The file name of a text's streams under a tokenizer, relative to a store's folder. */
  public static Path relative(String textSha256, Vocabulary vocabulary) {
    if (!textSha256.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("not a sha256: " + textSha256);
    }
    return Path.of(textSha256, vocabulary.json() + "-r" + RULES + ".tokens");
  }

  /**
   * Writes the streams to {@code file}: to a temporary file beside it, fsynced, then moved into
   * place, so that a reader sees the whole file or none. Returns the file's sha256.
   */
  public static String write(
      Path file, String textSha256, Vocabulary vocabulary, Corpus.Tokens tokens) {
    Path incoming = file.resolveSibling("." + file.getFileName() + "-" + UUID.randomUUID());
    try {
      Files.createDirectories(file.getParent());
      MessageDigest sha = sha256();
      try (FileChannel channel =
              FileChannel.open(incoming, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          DataOutputStream out =
              new DataOutputStream(
                  new DigestOutputStream(
                      new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16), sha))) {
        out.write(MAGIC);
        out.writeInt(RULES);
        out.writeUTF(textSha256);
        out.writeUTF(vocabulary.json());
        boolean narrow = narrow(vocabulary);
        for (int s = 0; s < SPLITS; s++) {
          int[] ids = split(tokens, s);
          out.writeLong(tokens.utf8Bytes()[s]);
          out.writeInt(ids.length);
          ByteBuffer buffer =
              ByteBuffer.allocate(ids.length * (narrow ? 2 : 4)).order(ByteOrder.LITTLE_ENDIAN);
          for (int id : ids) {
            if (narrow) {
              buffer.putShort((short) id);
            } else {
              buffer.putInt(id);
            }
          }
          out.write(buffer.array());
        }
        out.flush();
        channel.force(true);
      }
      Files.move(
          incoming, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return HexFormat.of().formatHex(sha.digest());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      try {
        Files.deleteIfExists(incoming);
      } catch (IOException e) {
        // a leftover temporary file: its name is never read
      }
    }
  }

  /**
   * The streams in {@code file}, if it holds those of this text and tokenizer under today's rules;
   * empty for a file of another text, tokenizer or rules. A file cut short or malformed is an
   * {@link IllegalArgumentException}.
   */
  public static Optional<Corpus.Tokens> read(Path file, String textSha256, Vocabulary vocabulary) {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer in = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
      byte[] magic = new byte[MAGIC.length];
      in.get(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        throw new IllegalArgumentException(file + " is not a token file");
      }
      if (in.getInt() != RULES
          || !utf(in).equals(textSha256)
          || !utf(in).equals(vocabulary.json())) {
        return Optional.empty();
      }
      boolean narrow = narrow(vocabulary);
      int[][] ids = new int[SPLITS][];
      long[] bytes = new long[SPLITS];
      for (int s = 0; s < SPLITS; s++) {
        bytes[s] = in.getLong();
        int n = in.getInt();
        if (n < 0 || (long) n * (narrow ? 2 : 4) > in.remaining()) {
          throw new IllegalArgumentException(file + " is cut short");
        }
        ByteBuffer body =
            in.slice(in.position(), n * (narrow ? 2 : 4)).order(ByteOrder.LITTLE_ENDIAN);
        ids[s] = new int[n];
        for (int i = 0; i < n; i++) {
          int id = narrow ? Short.toUnsignedInt(body.getShort()) : body.getInt();
          if (id < 0 || id >= vocabulary.size) {
            throw new IllegalArgumentException(
                file + " holds id " + id + ", not a " + vocabulary + " id");
          }
          ids[s][i] = id;
        }
        in.position(in.position() + n * (narrow ? 2 : 4));
      }
      if (in.hasRemaining()) {
        throw new IllegalArgumentException(file + " holds more than its streams");
      }
      return Optional.of(new Corpus.Tokens(ids[0], ids[1], ids[2], bytes));
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException(file + " is cut short", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A store in a local folder (a benchmark's, a test's). */
  public static TokenStore folder(Path dir) {
    return new TokenStore() {
      @Override
      public Optional<Corpus.Tokens> load(String textSha256, Vocabulary vocabulary) {
        Path file = dir.resolve(relative(textSha256, vocabulary));
        return Files.isRegularFile(file) ? read(file, textSha256, vocabulary) : Optional.empty();
      }

      @Override
      public void save(String textSha256, Vocabulary vocabulary, Corpus.Tokens tokens) {
        write(dir.resolve(relative(textSha256, vocabulary)), textSha256, vocabulary, tokens);
      }
    };
  }

  private static boolean narrow(Vocabulary vocabulary) {
    return vocabulary.size <= 1 << 16;
  }

  private static int[] split(Corpus.Tokens tokens, int s) {
    return switch (s) {
      case 0 -> tokens.train();
      case 1 -> tokens.validation();
      default -> tokens.test();
    };
  }

  /** A string as {@link DataOutputStream#writeUTF} wrote it (the names are ASCII). */
  private static String utf(ByteBuffer in) {
    byte[] bytes = new byte[Short.toUnsignedInt(in.getShort())];
    in.get(bytes);
    return new String(bytes, StandardCharsets.US_ASCII);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
