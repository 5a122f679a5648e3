package dev.bd3.model.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The streaming reader gives the documents of the rule as first written with whole lines and
 * regular expressions (kept here as the reference), on texts full of what makes whitespace hard:
 * CR, CRLF, tabs, form feeds, Unicode spaces, non-breaking spaces, blank lines of spaces, long
 * runs.
 */
class CorpusTextTest {
  private static final char[] ALPHABET = {
    'a', 'b', 'Z', '7', '.', 'ü', '日', '\ud83d', ' ', ' ', '\t', '\n', '\n', '\r', '\u000B', '\f',
    '\u2003', '\u3000', '\u001F', '\u00A0', '\u2028'
  };

  /** The rule as first written: readLine, String.isBlank, strip and \s{2,}. */
  private static List<String> reference(String text, boolean europarlLines) throws IOException {
    List<String> documents = new ArrayList<>();
    BufferedReader reader = new BufferedReader(new StringReader(text));
    StringBuilder paragraph = new StringBuilder();
    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
      if (europarlLines) {
        String[] fields = line.split("\t", 3);
        add(documents, fields.length == 3 ? fields[2] : line);
      } else if (line.isBlank()) {
        add(documents, paragraph.toString());
        paragraph.setLength(0);
      } else {
        paragraph.append(paragraph.length() > 0 ? "\n" : "").append(line);
      }
    }
    add(documents, paragraph.toString());
    return documents;
  }

  private static void add(List<String> documents, String text) {
    String t = text.strip().replaceAll("\\s{2,}", " ");
    if (!t.isEmpty()) {
      documents.add(t);
    }
  }

  private static List<String> referenceLines(String document) {
    List<String> lines = new ArrayList<>();
    for (String l : document.split("\n")) {
      add(lines, l);
    }
    return lines;
  }

  private static String randomText(Random random) {
    StringBuilder text = new StringBuilder();
    int n = random.nextInt(400);
    for (int i = 0; i < n; i++) {
      char c = ALPHABET[random.nextInt(ALPHABET.length)];
      if (c == '\ud83d') {
        text.append("\ud83d\ude00"); // a pair: one 4-byte character
      } else {
        text.append(c);
      }
      if (random.nextInt(40) == 0) {
        text.append(" ".repeat(random.nextInt(300))); // a long run
      }
    }
    return text.toString();
  }

  @Test
  void theStreamingRuleIsTheFirstRule() throws IOException {
    Random random = new Random(20261129);
    for (int round = 0; round < 5000; round++) {
      String text = randomText(random);
      for (boolean europarl : new boolean[] {false, true}) {
        List<String> streamed = new ArrayList<>();
        CorpusText.paragraphs(new StringReader(text), europarl, streamed::add);
        assertEquals(reference(text, europarl), streamed, "text: " + escaped(text));
      }
      for (String document : reference(text, false)) {
        assertEquals(referenceLines(document), CorpusText.lines(document), escaped(document));
      }
    }
  }

  @Test
  void sizesCountWhatTheDocumentsHold() throws IOException {
    Random random = new Random(7);
    for (int round = 0; round < 3000; round++) {
      // enough paragraphs, now and then, to be read by paragraphs rather than lines
      StringBuilder text = new StringBuilder();
      int paragraphs = random.nextInt(4) == 0 ? 60 + random.nextInt(60) : 1 + random.nextInt(8);
      for (int p = 0; p < paragraphs; p++) {
        text.append(randomText(random)).append("x\n \n");
      }
      List<String> documents = reference(text.toString(), false);
      if (CorpusText.readByLines(documents.size())) {
        documents = documents.stream().flatMap(d -> referenceLines(d).stream()).toList();
      }
      long[] expected = new long[3];
      for (int i = 0; i < documents.size(); i++) {
        expected[CorpusText.Split.of(i).ordinal()] +=
            documents.get(i).getBytes(StandardCharsets.UTF_8).length + 1;
      }
      CorpusText.Sizes sizes = new CorpusText.Sizes();
      CorpusText.paragraphs(new StringReader(text.toString()), sizes);
      assertEquals(documents.size(), sizes.documents());
      for (CorpusText.Split split : CorpusText.Split.values()) {
        assertEquals(expected[split.ordinal()], sizes.tokens(split), split.name());
      }
    }
  }

  /** A text of one line of 20 million characters and no blank line is counted as it streams. */
  @Test
  void oneHugeLineIsCountedWithoutKeepingIt() throws IOException {
    String word = "word ";
    long length = 20_000_000;
    java.io.Reader huge =
        new java.io.Reader() {
          long sent;

          @Override
          public int read(char[] buffer, int off, int len) {
            if (sent >= length) {
              return -1;
            }
            int n = (int) Math.min(len, length - sent);
            for (int i = 0; i < n; i++) {
              buffer[off + i] = word.charAt((int) ((sent + i) % word.length()));
            }
            sent += n;
            return n;
          }

          @Override
          public void close() {}
        };
    CorpusText.Sizes sizes = new CorpusText.Sizes();
    CorpusText.paragraphs(huge, sizes);
    // one paragraph of one line: read by lines, one document, in test; its trailing space stripped
    assertEquals(1, sizes.documents());
    assertEquals(length - 1 + 1, sizes.tokens(CorpusText.Split.TEST));
  }

  private static String escaped(String s) {
    StringBuilder out = new StringBuilder();
    for (char c : s.toCharArray()) {
      out.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c));
    }
    return out.toString();
  }
}
