package dev.bd3.model.spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * How a corpus's text becomes documents and its documents the train, validation and test splits:
 * one rule for the gateway, which checks an uploaded dataset as it arrives, and the workers, which
 * read it.
 *
 * <p>A document is a paragraph (lines up to a blank line, joined by a newline) or, for Europarl's
 * {@code title TAB date TAB body} lines, a line's body; a text with fewer than {@link
 * #SPLIT_PERIOD} paragraphs is read by lines instead. A document is stripped of the whitespace at
 * its ends and each run of two or more ASCII whitespace characters inside it becomes one space.
 * Every 50th document goes to test, the one after it to validation, the rest to training. A split's
 * tokens are its documents' UTF-8 bytes, each followed by EOS.
 *
 * <p>The text is read a character at a time and nothing longer than a document is kept, so that the
 * gateway can count an upload of any shape (one huge line, no blank lines) in little memory.
 */
public final class CorpusText {
  /** The corpus every build bundles: Europarl proceedings (several languages). */
  public static final String BUNDLED = "europarl";

  /** One document in this many is held out for test, and one for validation. */
  public static final int SPLIT_PERIOD = 50;

  private static final String DATASETS = "datasets";

  private CorpusText() {}

  /** Where a document goes. */
  public enum Split {
    TRAIN,
    VALIDATION,
    TEST;

    /** The split of the document at {@code index} (counted from 0). */
    public static Split of(long index) {
      long slot = index % SPLIT_PERIOD;
      return slot == 0 ? TEST : slot == 1 ? VALIDATION : TRAIN;
    }
  }

  /** What receives a text's documents, a character at a time. */
  public interface DocumentSink {
    void accept(char c);

    /** The document received since the last end is complete (never empty). */
    void end();
  }

  /** Calls {@code document} with each paragraph of the text (Europarl: each line's body). */
  public static void paragraphs(Reader text, boolean europarlLines, Consumer<String> document)
      throws IOException {
    Collector collector = new Collector(document);
    if (europarlLines) {
      BufferedReader lines = new BufferedReader(text);
      Normalizer normalizer = new Normalizer(collector);
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        String[] fields = line.split("\t", 3);
        String body = fields.length == 3 ? fields[2] : line;
        for (int i = 0; i < body.length(); i++) {
          normalizer.accept(body.charAt(i));
        }
        normalizer.end();
      }
    } else {
      paragraphs(text, collector);
    }
  }

  /**
   * Streams the paragraphs of a text to {@code sink}, normalised. A line is read as {@link
   * BufferedReader#readLine} reads it (ended by LF, CR or CRLF); a blank line (nothing but
   * whitespace) ends a paragraph.
   */
  public static void paragraphs(Reader text, DocumentSink sink) throws IOException {
    Normalizer paragraph = new Normalizer(sink);
    boolean hasLines = false; // the paragraph has a line that is not blank
    boolean lineStarted = false;
    boolean lineBlank = true;
    boolean afterCr = false;
    char[] buffer = new char[8192];
    for (int n = text.read(buffer); n >= 0; n = text.read(buffer)) {
      for (int i = 0; i < n; i++) {
        char c = buffer[i];
        if (afterCr && c == '\n') { // CRLF: one line end
          afterCr = false;
          continue;
        }
        afterCr = c == '\r';
        if (c == '\n' || c == '\r') {
          if (lineBlank) {
            paragraph.end(); // a blank line: what was fed of it is whitespace, dropped at the end
            hasLines = false;
          } else {
            hasLines = true;
          }
          lineStarted = false;
          lineBlank = true;
          continue;
        }
        if (!lineStarted) {
          lineStarted = true;
          if (hasLines) {
            paragraph.accept('\n'); // lines of a paragraph are joined by a newline
          }
        }
        lineBlank &= Character.isWhitespace(c);
        paragraph.accept(c);
      }
    }
    paragraph.end();
  }

  /** Whether a text of {@code paragraphs} documents is read by lines instead. */
  public static boolean readByLines(long paragraphs) {
    return paragraphs < SPLIT_PERIOD;
  }

  /** The lines of a document, each a document of its own (when the text is read by lines). */
  public static List<String> lines(String document) {
    List<String> lines = new ArrayList<>();
    LineSplitter splitter = new LineSplitter(new Collector(lines::add));
    for (int i = 0; i < document.length(); i++) {
      splitter.accept(document.charAt(i));
    }
    splitter.end();
    return lines;
  }

  /** The folder of the uploaded datasets in the artifact store. */
  public static Path datasetDir(Path artifactRoot) {
    return artifactRoot.resolve(DATASETS);
  }

  /** The file of an uploaded dataset in the artifact store: named by its text's sha256. */
  public static Path datasetFile(Path artifactRoot, String sha256) {
    if (!sha256.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("not a sha256: " + sha256);
    }
    return datasetDir(artifactRoot).resolve(sha256 + ".txt");
  }

  /** ASCII whitespace, the characters of the regular expression {@code \s}. */
  private static boolean asciiSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
  }

  /**
   * A document normalised as it streams: whitespace at its ends dropped ({@link String#strip}),
   * each run of two or more ASCII whitespace characters inside it one space, other whitespace kept.
   * Whitespace is held back (as runs of one character, so a long run costs nothing) until the next
   * character shows that it is inside the document.
   */
  static final class Normalizer implements DocumentSink {
    private final DocumentSink out;
    private final StringBuilder heldChars = new StringBuilder();
    private final List<Long> heldCounts = new ArrayList<>();
    private boolean started;

    Normalizer(DocumentSink out) {
      this.out = out;
    }

    @Override
    public void accept(char c) {
      if (Character.isWhitespace(c)) {
        if (started) {
          hold(c);
        }
        return;
      }
      releaseHeld();
      out.accept(c);
      started = true;
    }

    @Override
    public void end() {
      heldChars.setLength(0);
      heldCounts.clear();
      if (started) {
        out.end();
      }
      started = false;
    }

    private void hold(char c) {
      int last = heldChars.length() - 1;
      if (last >= 0 && heldChars.charAt(last) == c) {
        heldCounts.set(last, heldCounts.get(last) + 1);
      } else {
        heldChars.append(c);
        heldCounts.add(1L);
      }
    }

    /** The held whitespace, inside the document after all: ASCII runs of two or more collapse. */
    private void releaseHeld() {
      long asciiRun = 0;
      char single = ' ';
      for (int i = 0; i < heldChars.length(); i++) {
        char c = heldChars.charAt(i);
        long count = heldCounts.get(i);
        if (asciiSpace(c)) {
          asciiRun += count;
          single = c;
          continue;
        }
        emitAscii(asciiRun, single);
        asciiRun = 0;
        for (long k = 0; k < count; k++) {
          out.accept(c);
        }
      }
      emitAscii(asciiRun, single);
      heldChars.setLength(0);
      heldCounts.clear();
    }

    private void emitAscii(long run, char single) {
      if (run == 1) {
        out.accept(single);
      } else if (run >= 2) {
        out.accept(' ');
      }
    }
  }

  /** Splits a normalised document at its newlines into line documents, each normalised again. */
  static final class LineSplitter implements DocumentSink {
    private final Normalizer line;

    LineSplitter(DocumentSink out) {
      this.line = new Normalizer(out);
    }

    @Override
    public void accept(char c) {
      if (c == '\n') {
        line.end();
      } else {
        line.accept(c);
      }
    }

    @Override
    public void end() {
      line.end();
    }
  }

  /** Each document as a string. */
  private static final class Collector implements DocumentSink {
    private final Consumer<String> documents;
    private final StringBuilder document = new StringBuilder();

    Collector(Consumer<String> documents) {
      this.documents = documents;
    }

    @Override
    public void accept(char c) {
      document.append(c);
    }

    @Override
    public void end() {
      documents.accept(document.toString());
      document.setLength(0);
    }
  }

  /** Counts a document's tokens (its UTF-8 bytes, then EOS) into the split of its index. */
  private static final class Counter implements DocumentSink {
    final long[] tokens = new long[Split.values().length];
    long documents;
    private long bytes;

    @Override
    public void accept(char c) {
      // a surrogate pair is one 4-byte character: 2 + 2 (a strictly decoded text has no lone one)
      bytes += c < 0x80 ? 1 : c < 0x800 || Character.isSurrogate(c) ? 2 : 3;
    }

    @Override
    public void end() {
      tokens[Split.of(documents++).ordinal()] += bytes + 1;
      bytes = 0;
    }
  }

  /**
   * The size of each split of a text, counted while it streams past without keeping it: the counts
   * by paragraphs and by lines are both kept, and {@link #readByLines} picks one at the end.
   */
  public static final class Sizes implements DocumentSink {
    private final Counter byParagraphs = new Counter();
    private final Counter byLines = new Counter();
    private final LineSplitter lines = new LineSplitter(byLines);

    @Override
    public void accept(char c) {
      byParagraphs.accept(c);
      lines.accept(c);
    }

    @Override
    public void end() {
      byParagraphs.end();
      lines.end();
    }

    /** Documents in the text, as it will be split. */
    public long documents() {
      return chosen().documents;
    }

    /** Tokens in {@code split}. */
    public long tokens(Split split) {
      return chosen().tokens[split.ordinal()];
    }

    private Counter chosen() {
      return readByLines(byParagraphs.documents) ? byLines : byParagraphs;
    }
  }
}
