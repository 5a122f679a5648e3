package dev.bd3.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.bd3.model.data.Corpus;
import dev.bd3.model.data.TokenFile;
import dev.bd3.model.data.TokenStore;
import dev.bd3.model.data.Tokenizer;
import dev.bd3.model.data.Windows;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.sample.Nucleus;
import dev.bd3.model.spec.CorpusText;
import dev.bd3.model.spec.Vocabulary;
import dev.bd3.model.train.Checkpoint;
import dev.bd3.model.train.CheckpointMeta;
import java.io.BufferedReader;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataAndCheckpointTest {

  @Test
  void tokenizerRoundTripsUtf8AndSkipsSpecialIds() throws CharacterCodingException {
    String text = "Περί της ψηφοφορίας — ça va";
    int[] ids = Fixtures.BYTES.encode(text);
    // ids are the UTF-8 bytes, by hand: ç = C3 A7, — = E2 80 94
    assertArrayEquals(new int[] {0xC3, 0xA7, 'a'}, Fixtures.BYTES.encode("ça"));
    assertArrayEquals(new int[] {0xE2, 0x80, 0x94}, Fixtures.BYTES.encode("—"));
    assertEquals(text, Fixtures.BYTES.decodeStrict(ids));
    int[] withSpecials = new int[ids.length + 2];
    withSpecials[0] = Fixtures.BYTES.bos();
    System.arraycopy(ids, 0, withSpecials, 1, ids.length);
    withSpecials[ids.length + 1] = Fixtures.BYTES.eos();
    assertEquals(text, Fixtures.BYTES.decode(withSpecials));
    assertEquals("\uFFFD", Fixtures.BYTES.decode(new int[] {0xC3})); // a cut multi-byte character
    assertThrows(
        CharacterCodingException.class, () -> Fixtures.BYTES.decodeStrict(new int[] {0xC3}));
  }

  /** A character cut by a block's end is streamed whole with the next block. */
  @Test
  void streamedPiecesHoldOnlyCompleteCharacters() {
    int[] ids = Fixtures.BYTES.encode("aç€b"); // 61 | C3 A7 | E2 82 AC | 62
    Tokenizer.Stream stream = Fixtures.BYTES.stream();
    assertEquals("a", stream.next(java.util.Arrays.copyOfRange(ids, 0, 2)));
    assertEquals("ç", stream.next(java.util.Arrays.copyOfRange(ids, 2, 4)));
    assertEquals("", stream.next(java.util.Arrays.copyOfRange(ids, 4, 5)));
    assertEquals("€b", stream.next(java.util.Arrays.copyOfRange(ids, 5, 7)));
    assertEquals("\uFFFDz", stream.next(new int[] {0xFF, 'z'})); // malformed: replaced
  }

  @Test
  void bundledCorpusSplitsDeterministically(@TempDir Path dir) throws Exception {
    Corpus a = Corpus.europarl();
    assertTrue(
        a.tokens(Fixtures.BYTES).train().length > 15_000_000,
        "train bytes " + a.tokens(Fixtures.BYTES).train().length);
    assertTrue(
        a.tokens(Fixtures.BYTES).test().length > 200_000
            && a.tokens(Fixtures.BYTES).validation().length > 200_000);
    assertEquals(64, a.sha256().length());
    // a file corpus: paragraphs are documents; every 50th goes to test, the next to validation
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 100; i++) {
      text.append("paragraph ").append(i).append("\n\n");
    }
    Path file = dir.resolve("c.txt");
    Files.writeString(file, text);
    Corpus c = Corpus.fromFile(file);
    assertEquals(
        "paragraph 0" + (char) Fixtures.BYTES.eos() + "paragraph 50",
        string(c.tokens(Fixtures.BYTES).test()));
    assertEquals(
        "paragraph 1" + (char) Fixtures.BYTES.eos() + "paragraph 51",
        string(c.tokens(Fixtures.BYTES).validation()));
    assertArrayEquals(
        c.tokens(Fixtures.BYTES).train(), Corpus.fromFile(file).tokens(Fixtures.BYTES).train());
  }

  /**
   * A text is tokenized once per tokenizer: the streams kept in a store are the ones tokenizing
   * gives, another process reads them without tokenizing, and a file of another text, tokenizer or
   * rules is not read as theirs.
   */
  @Test
  void tokenStreamsAreKeptByTextAndTokenizer(@TempDir Path dir) throws Exception {
    String text =
        IntStream.range(0, 200)
            .mapToObj(i -> "Grüße, ça va? 日本語, paragraph " + i)
            .collect(Collectors.joining("\n\n"));
    Path source = Files.writeString(dir.resolve("t.txt"), text);
    TokenStore folder = TokenFile.folder(dir.resolve("tokens"));
    for (Vocabulary v : Vocabulary.values()) {
      Tokenizer tokenizer = Tokenizer.of(v);
      Corpus.Tokens made = Corpus.fromFile(source, "t").tokens(tokenizer, folder);
      Corpus corpus = Corpus.fromFile(source, "t");
      Path file = dir.resolve("tokens").resolve(TokenFile.relative(corpus.sha256(), v));
      assertTrue(Files.isRegularFile(file), "kept after the first tokenization");
      Corpus.Tokens read = TokenFile.read(file, corpus.sha256(), v).orElseThrow();
      assertArrayEquals(corpus.tokens(tokenizer).train(), read.train());
      assertArrayEquals(made.validation(), read.validation());
      assertArrayEquals(made.test(), read.test());
      assertArrayEquals(made.utf8Bytes(), read.utf8Bytes());

      // another process reads the store's streams: proven by streams that tokenizing cannot give
      int[] marked = made.train().clone();
      marked[0] = v.size - 2;
      TokenFile.write(
          file,
          corpus.sha256(),
          v,
          new Corpus.Tokens(marked, made.validation(), made.test(), made.utf8Bytes()));
      assertArrayEquals(marked, Corpus.fromFile(source, "t").tokens(tokenizer, folder).train());

      Vocabulary other = v == Vocabulary.BYTES ? Vocabulary.GPT2 : Vocabulary.BYTES;
      assertTrue(TokenFile.read(file, corpus.sha256(), other).isEmpty(), "another tokenizer's");
      assertTrue(TokenFile.read(file, "0".repeat(64), v).isEmpty(), "another text's");
      byte[] bytes = Files.readAllBytes(file);
      Path cut = Files.write(dir.resolve("cut.tokens"), Arrays.copyOf(bytes, bytes.length - 1));
      assertThrows(IllegalArgumentException.class, () -> TokenFile.read(cut, corpus.sha256(), v));
    }
  }

  /** What the gateway counts in an upload, without keeping it, is what a worker's splits hold. */
  @Test
  void countedSplitSizesAreTheCorpusSplits(@TempDir Path dir) throws Exception {
    String unicode = "Grüße, ça va? 日本語 ";
    String byParagraphs =
        IntStream.range(0, 120)
            .mapToObj(i -> unicode.repeat(i % 4) + "line " + i + "\n  indented\n" + "x".repeat(i))
            .collect(Collectors.joining("\n\n  \n"));
    String byLines = // too few paragraphs: read by lines
        IntStream.range(0, 30)
            .mapToObj(i -> "a line " + i + "\nand\t\tanother " + unicode)
            .collect(Collectors.joining("\n\n"));
    for (String text : new String[] {byParagraphs, byLines}) {
      Path file = Files.writeString(dir.resolve("t.txt"), text);
      Corpus corpus = Corpus.fromFile(file, "t");
      CorpusText.Sizes sizes = new CorpusText.Sizes();
      try (BufferedReader reader = Files.newBufferedReader(file)) {
        CorpusText.paragraphs(reader, sizes);
      }
      assertEquals(
          corpus.tokens(Fixtures.BYTES).train().length, sizes.tokens(CorpusText.Split.TRAIN));
      assertEquals(
          corpus.tokens(Fixtures.BYTES).validation().length,
          sizes.tokens(CorpusText.Split.VALIDATION));
      assertEquals(
          corpus.tokens(Fixtures.BYTES).test().length, sizes.tokens(CorpusText.Split.TEST));
      long eos =
          IntStream.of(corpus.tokens(Fixtures.BYTES).train())
                  .filter(t -> t == Fixtures.BYTES.eos())
                  .count()
              + IntStream.of(corpus.tokens(Fixtures.BYTES).validation())
                  .filter(t -> t == Fixtures.BYTES.eos())
                  .count()
              + IntStream.of(corpus.tokens(Fixtures.BYTES).test())
                  .filter(t -> t == Fixtures.BYTES.eos())
                  .count();
      assertEquals(eos, sizes.documents());
    }
  }

  @Test
  void windowsStartWithBos() {
    int[] stream = new int[100];
    for (int i = 0; i < 100; i++) {
      stream[i] = i;
    }
    long[] w = Windows.sequential(stream, Fixtures.BYTES.bos(), 1, 2, 5);
    assertArrayEquals(new long[] {256, 4, 5, 6, 7, 256, 8, 9, 10, 11}, w);
    long[] r = Windows.random(stream, Fixtures.BYTES.bos(), 3, 5, new SplittableRandom(1));
    for (int b = 0; b < 3; b++) {
      assertEquals(Fixtures.BYTES.bos(), r[b * 5]);
      assertEquals(r[b * 5 + 1] + 1, r[b * 5 + 2]);
    }
  }

  /** The reference's rule: the top ids while the cumulative mass is at most p, at least one. */
  @Test
  void nucleusKeepsTheTopIdsWithinPAndRenormalises() {
    double[] p = {0.5, 0.05, 0.3, 0.15};
    assertArrayEquals(new double[] {0.5 / 0.8, 0, 0.3 / 0.8, 0}, Nucleus.filter(p, 0.8), 1e-12);
    // 0.5 + 0.3 crosses 0.75: the reference drops 0.3 (a top-p that keeps the crossing id would
    // not)
    assertArrayEquals(new double[] {1, 0, 0, 0}, Nucleus.filter(p, 0.75), 1e-12);
    assertArrayEquals(new double[] {1, 0, 0, 0}, Nucleus.filter(p, 0.1), 1e-12);
    assertArrayEquals(p, Nucleus.filter(p, 1.0), 0);
    // ties are taken in id order, as a stable sort by probability takes them
    double[] tied = {0.2, 0.3, 0.2, 0.3};
    assertArrayEquals(new double[] {0, 1, 0, 0}, Nucleus.filter(tied, 0.5), 1e-12);
    assertArrayEquals(
        new double[] {0.2 / 0.8, 0.3 / 0.8, 0, 0.3 / 0.8}, Nucleus.filter(tied, 0.85), 1e-12);
    int[] counts = new int[4];
    SplittableRandom r = new SplittableRandom(0);
    for (int i = 0; i < 20_000; i++) {
      counts[Nucleus.draw(Nucleus.filter(p, 0.8), r)]++;
    }
    assertEquals(0, counts[1] + counts[3]);
    assertEquals(0.625, counts[0] / 20_000.0, 0.02);
  }

  /**
   * The parameter count the gateway's memory estimate uses is the model's: the sum of its
   * parameters' sizes, for a preset and for a shape of its own.
   */
  @Test
  void theEstimatedParameterCountIsTheModels() {
    for (ModelConfig config :
        new ModelConfig[] {
          ModelConfig.micro(), ModelConfig.cpu().withBlockSize(1), ModelConfig.micro().asCausal()
        }) {
      try (NDManager m = Fixtures.manager()) {
        Bd3Lm model = Fixtures.randomModel(config, m, 1);
        long size = model.parameterList().stream().mapToLong(p -> p.getArray().size()).sum();
        assertEquals(config.parameterCount(), size, config.toString());
        // the layout the gateway converts checkpoints by is the model's: names, shapes, order
        List<String> names = new ArrayList<>();
        model
            .referenceNames()
            .forEach(
                (name, p) -> {
                  names.add(name);
                  assertArrayEquals(
                      config.layout().tensors().get(name),
                      p.getArray().getShape().getShape(),
                      name);
                });
        assertEquals(List.copyOf(config.layout().tensors().keySet()), names);
      }
    }
    for (Vocabulary v : Vocabulary.values()) {
      Tokenizer t = Tokenizer.of(v);
      assertEquals(v.size, t.vocabSize(), "one vocabulary");
      assertEquals(0, t.bytes(t.mask()).length, "MASK stands for no text");
      assertEquals(0, t.bytes(t.eos()).length, "EOS stands for no text");
    }
    assertEquals(
        String.join("|", Arrays.stream(Vocabulary.values()).map(Vocabulary::json).toList()),
        Vocabulary.PATTERN);
  }

  @Test
  void checkpointRoundTripsWeightsAndMetadata(@TempDir Path dir) throws Exception {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(ModelConfig.micro(), m, 9);
      NDList weights = new NDList();
      model.parameterList().forEach(p -> weights.add(p.getArray()));
      CheckpointMeta meta =
          new CheckpointMeta(
              CheckpointMeta.FORMAT,
              500,
              ModelConfig.micro(),
              new ClippedSchedule(0.45, 0.95),
              9,
              500,
              500,
              "europarl",
              "abc",
              Map.of("val_nelbo", 2.0));
      Checkpoint.save(dir, meta, weights, weights, new NDList());
      Checkpoint.Written later =
          Checkpoint.save(dir, withStep(meta, 1000), weights, weights, new NDList());

      assertEquals(later.path(), Checkpoint.newest(dir).orElseThrow());
      String sha =
          HexFormat.of()
              .formatHex(
                  MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(later.path())));
      assertEquals(sha, later.sha256());
      assertEquals(Files.size(later.path()), later.bytes());

      Checkpoint read = Checkpoint.read(later.path(), m);
      assertEquals(withStep(meta, 1000), read.meta());
      Bd3Lm copy = read.model(m, true);
      for (int i = 0; i < weights.size(); i++) {
        assertArrayEquals(
            weights.get(i).toFloatArray(), copy.parameterList().get(i).getArray().toFloatArray());
      }
    }
  }

  private static CheckpointMeta withStep(CheckpointMeta m, long step) {
    return new CheckpointMeta(
        m.format(),
        step,
        m.model(),
        m.schedule(),
        m.seed(),
        m.optimizerUpdates(),
        m.emaUpdates(),
        m.corpus(),
        m.corpusSha256(),
        m.metrics());
  }

  private static String string(int[] ids) {
    StringBuilder s = new StringBuilder();
    for (int id : ids) {
      s.append((char) id);
    }
    return s.toString().substring(0, s.length() - 1);
  }
}
