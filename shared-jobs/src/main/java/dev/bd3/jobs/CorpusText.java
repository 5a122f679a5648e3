package dev.bd3.jobs;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * How a corpus's text becomes documents and its documents the train, validation and test splits:
 * one rule for the gateway, which checks an uploaded dataset, and the workers, which read it.
 *
 * <p>A document is a paragraph (lines up to a blank line) or, for Europarl's {@code title TAB date
 * TAB body} lines, a line's body; a text with fewer than {@link #SPLIT_PERIOD} paragraphs is read
 * by lines instead. Every 50th document goes to test, the one after it to validation, the rest to
 * training. A split's tokens are its documents' UTF-8 bytes, each followed by EOS.
 */
public final class CorpusText {
  /** The corpus every build bundles: Europarl proceedings (several languages). */
  public static final String BUNDLED = "europarl";

  /** One document in this many is held out for test, and one for validation. */
  public static final int SPLIT_PERIOD = 50;

  private static final Pattern WHITESPACE_RUN = Pattern.compile("\\s{2,}");
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

  /** Calls {@code document} with each document of the text, in order, as the rule above says. */
  public static void paragraphs(
      BufferedReader text, boolean europarlLines, Consumer<String> document) throws IOException {
    StringBuilder paragraph = new StringBuilder();
    for (String line = text.readLine(); line != null; line = text.readLine()) {
      if (europarlLines) {
        String[] fields = line.split("\t", 3);
        emit(fields.length == 3 ? fields[2] : line, document);
      } else if (line.isBlank()) {
        emit(paragraph.toString(), document);
        paragraph.setLength(0);
      } else {
        paragraph.append(paragraph.length() > 0 ? "\n" : "").append(line);
      }
    }
    emit(paragraph.toString(), document);
  }

  /** Whether a text of {@code paragraphs} documents is read by lines instead. */
  public static boolean readByLines(long paragraphs) {
    return paragraphs < SPLIT_PERIOD;
  }

  /** The lines of a document, each a document of its own (when the text is read by lines). */
  public static List<String> lines(String document) {
    List<String> lines = new ArrayList<>();
    for (String line : document.split("\n")) {
      emit(line, lines::add);
    }
    return lines;
  }

  /** The tokens a document adds to its split: its UTF-8 bytes and EOS. */
  public static long tokens(String document) {
    return document.getBytes(StandardCharsets.UTF_8).length + 1L;
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

  private static void emit(String text, Consumer<String> document) {
    String t = WHITESPACE_RUN.matcher(text.strip()).replaceAll(" ");
    if (!t.isEmpty()) {
      document.accept(t);
    }
  }

  /**
   * The size of each split of a text, counted while it is read once, without keeping it: the counts
   * by paragraphs and by lines are both kept, and {@link #readByLines} picks one at the end.
   */
  public static final class Sizes implements Consumer<String> {
    private final long[] byParagraphs = new long[Split.values().length];
    private final long[] byLines = new long[Split.values().length];
    private long paragraphs;
    private long lines;

    @Override
    public void accept(String paragraph) {
      byParagraphs[Split.of(paragraphs++).ordinal()] += CorpusText.tokens(paragraph);
      for (String line : lines(paragraph)) {
        byLines[Split.of(lines++).ordinal()] += CorpusText.tokens(line);
      }
    }

    /** Documents in the text, as it will be split. */
    public long documents() {
      return readByLines(paragraphs) ? lines : paragraphs;
    }

    /** Tokens in {@code split}. */
    public long tokens(Split split) {
      return (readByLines(paragraphs) ? byLines : byParagraphs)[split.ordinal()];
    }
  }
}
