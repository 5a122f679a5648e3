package dev.bd3.gateway.datasets;

import dev.bd3.gateway.GatewayConfig;
import dev.bd3.gateway.problems.ProblemException;
import dev.bd3.model.spec.CorpusText;
import dev.bd3.storage.ObjectStores;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.UUID;

/**
 * Writes uploaded text to the artifact store in one pass: it is counted against the size limit,
 * checked to be UTF-8 without NUL, hashed, and split by {@link CorpusText}'s rule, while it is
 * copied to a temporary file. Only a text that passes every check, and is recorded, is moved
 * (atomically, after an fsync) to {@code datasets/<sha256>.txt}; anything else leaves nothing
 * behind.
 */
@ApplicationScoped
public class DatasetStore {
  @Inject GatewayConfig config;
  @Inject ObjectStores objects;

  /** A checked text, still in its temporary file until {@link #keep} moves it into place. */
  public record Stored(Path incoming, String sha256, long bytes, CorpusText.Sizes sizes) {}

  /** Reads and checks an upload into a temporary file in the store (fsynced). */
  public Stored write(InputStream body) {
    Path root = config.artifactDir();
    Path incoming = null;
    try {
      Path dir = Files.createDirectories(CorpusText.datasetDir(root));
      incoming = dir.resolve(".incoming-" + UUID.randomUUID());
      MessageDigest sha = sha256();
      CorpusText.Sizes sizes = new CorpusText.Sizes();
      long bytes;
      try (FileChannel file =
              FileChannel.open(incoming, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          OutputStream copy = Channels.newOutputStream(file)) {
        Tee tee = new Tee(body, copy, config.datasets().maxSize().asLongValue());
        read(new DigestInputStream(tee, sha), sizes);
        copy.flush();
        file.force(true);
        bytes = tee.count;
      }
      requireEverySplit(sizes);
      Stored stored = new Stored(incoming, HexFormat.of().formatHex(sha.digest()), bytes, sizes);
      incoming = null; // the caller keeps or discards it
      return stored;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deleteQuietly(incoming);
    }
  }

  /**
   * Moves a checked text into place, {@code datasets/<sha256>.txt} (atomically), and into the
   * artifact store's bucket when it has one (where workers that share no disk find it).
   */
  void keep(Stored stored) {
    Path file = CorpusText.datasetFile(config.artifactDir(), stored.sha256());
    try {
      Files.move(
          stored.incoming(),
          file,
          StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    objects.store().ifPresent(o -> o.put(key(stored.sha256()), file, stored.sha256()));
  }

  /** Deletes a text's temporary file if it was not kept. */
  void discard(Stored stored) {
    deleteQuietly(stored.incoming());
  }

  /** Deletes the text with this sha256 (no record names it any more). */
  void remove(String sha256) {
    try {
      Files.deleteIfExists(CorpusText.datasetFile(config.artifactDir(), sha256));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    objects.store().ifPresent(o -> o.delete(key(sha256)));
  }

  /** The text's key in the bucket: its path in the artifact folder. */
  private String key(String sha256) {
    Path root = config.artifactDir();
    return root.relativize(CorpusText.datasetFile(root, sha256)).toString();
  }

  /** Decodes strictly (malformed UTF-8 is an error, not U+FFFD) and refuses NUL. */
  private static void read(InputStream text, CorpusText.Sizes sizes) throws IOException {
    var decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    try (Reader reader = new InputStreamReader(text, decoder)) {
      CorpusText.paragraphs(
          reader,
          new CorpusText.DocumentSink() {
            @Override
            public void accept(char c) {
              if (c == '\0') {
                throw ProblemException.invalid(
                    "body", "must not contain the NUL character (U+0000)");
              }
              sizes.accept(c);
            }

            @Override
            public void end() {
              sizes.end();
            }
          });
    } catch (CharacterCodingException e) {
      throw ProblemException.invalid(
          "body", "must be UTF-8 text: it holds a malformed byte sequence");
    }
  }

  /** Training, its validation and evaluation each need text: at least one document per split. */
  private static void requireEverySplit(CorpusText.Sizes sizes) {
    for (CorpusText.Split split : CorpusText.Split.values()) {
      if (sizes.tokens(split) == 0) {
        throw ProblemException.invalid(
            "body",
            "too little text: it splits into "
                + sizes.documents()
                + " documents, and the "
                + split.name().toLowerCase(Locale.ROOT)
                + " split would be empty (every 50th paragraph goes to test and the next to"
                + " validation; a text of fewer than 50 paragraphs is split by lines, and needs 3)");
      }
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteQuietly(Path file) {
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        // a leftover temporary file holds no dataset: nothing names it
      }
    }
  }

  /**
   * Copies what is read to {@code copy}, and stops with a 413 past {@code max} bytes: the limit of
   * an upload sent without a length ({@link dev.bd3.gateway.BodySizeLimit}).
   */
  private static final class Tee extends FilterInputStream {
    private final OutputStream copy;
    private final long max;
    private long count;

    Tee(InputStream in, OutputStream copy, long max) {
      super(in);
      this.copy = copy;
      this.max = max;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n;
      try {
        n = super.read(b, off, len);
      } catch (IOException e) { // the client's side: not the store's
        throw ProblemException.invalid("body", "the upload broke off: " + e.getMessage());
      }
      if (n > 0) {
        count += n;
        if (count > max) {
          throw ProblemException.tooLarge("the text is larger than the limit of " + max + " bytes");
        }
        copy.write(b, off, n);
      }
      return n;
    }
  }
}
