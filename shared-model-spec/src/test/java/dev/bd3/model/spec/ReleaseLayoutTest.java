package dev.bd3.model.spec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bd3.model.spec.release.ReleaseConfig;
import dev.bd3.model.spec.release.ReleaseLayout;
import dev.bd3.model.spec.release.Safetensors;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The release layout converted without a tensor library: the authors' own folders (the fixtures of
 * shared-model's parity test, written by their code) imported into our checkpoint and exported
 * again give back their tensors byte for byte, and a folder that does not fit its config is refused
 * naming the tensor at fault.
 */
class ReleaseLayoutTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path REFERENCE =
      Path.of(System.getProperty("bd3.root", ".."))
          .resolve("shared-model/src/test/resources/reference");

  private static ReleaseConfig config(String fixture) throws IOException {
    return ReleaseLayout.config(
        Files.readAllBytes(REFERENCE.resolve(fixture).resolve(ReleaseLayout.CONFIG)));
  }

  private static Path weights(String fixture) {
    return REFERENCE.resolve(fixture).resolve(ReleaseLayout.WEIGHTS);
  }

  @ParameterizedTest
  @ValueSource(strings = {"bd3lm", "ar"})
  void importThenExportGivesBackEveryTensor(String fixture, @TempDir Path dir) throws Exception {
    ReleaseConfig theirs = config(fixture);
    ReleaseLayout.Release release = ReleaseLayout.check(theirs, weights(fixture));
    Path checkpoint = dir.resolve("step-00000000.ckpt");
    try (OutputStream out = Files.newOutputStream(checkpoint)) {
      release.writeCheckpoint(null, null, out);
    }

    // our checkpoint: the meta the workers read, the layout's tensors in its order, twice
    List<String> layout = List.copyOf(theirs.layout().tensors().keySet());
    try (ZipFile zip = new ZipFile(checkpoint.toFile())) {
      JsonNode meta = JSON.readTree(zip.getInputStream(zip.getEntry(ReleaseLayout.META)));
      assertEquals(2, meta.get("format").asInt());
      assertEquals(0, meta.get("step").asLong());
      assertEquals(0.001, meta.at("/schedule/low").asDouble());
      assertEquals(0.999, meta.at("/schedule/high").asDouble());
      assertTrue(meta.get("corpus").isNull());
      assertEquals(
          JSON.readTree(
              "{\"vocabSize\":260,\"layers\":2,\"width\":32,\"heads\":4,\"mlpRatio\":4,"
                  + "\"dropout\":0.0,\"contextLength\":16,"
                  + (fixture.equals("ar")
                      ? "\"blockSize\":1,\"condDim\":0,\"causal\":true,"
                      : "\"blockSize\":4,\"condDim\":16,\"causal\":false,")
                  + "\"timeConditioning\":false}"),
          meta.get("model"));
      for (String entry : List.of(ReleaseLayout.CHECKPOINT_WEIGHTS, ReleaseLayout.CHECKPOINT_EMA)) {
        Map<String, byte[]> ours = tensors(zip.getInputStream(zip.getEntry(entry)));
        assertEquals(layout, List.copyOf(ours.keySet()), entry + ": the layout's order");
      }
    }

    ByteArrayOutputStream zipped = new ByteArrayOutputStream();
    ReleaseLayout.export(checkpoint).writeTo(zipped);
    Map<String, byte[]> files = unzip(zipped.toByteArray());
    assertEquals(List.of(ReleaseLayout.CONFIG, ReleaseLayout.WEIGHTS), List.copyOf(files.keySet()));

    ReleaseConfig back = ReleaseLayout.config(files.get(ReleaseLayout.CONFIG));
    assertEquals(theirs.layout(), back.layout());
    assertEquals(theirs.effectiveBlockSize(), back.effectiveBlockSize());
    assertEquals(theirs.modelLength(), back.modelLength());
    assertEquals(theirs.causal(), back.causal());
    assertEquals(theirs.crossAttn(), back.crossAttn());
    assertEquals(theirs.adaln(), back.adaln());
    assertEquals(theirs.nHeads(), back.nHeads());
    assertEquals(theirs.dropout(), back.dropout());
    assertEquals(theirs.timeConditioning(), back.timeConditioning());
    assertArrayEquals(theirs.interval(), back.interval());
    assertEquals("bytes", back.tokenizer());

    Map<String, byte[]> original;
    try (InputStream in = Files.newInputStream(weights(fixture))) {
      original = tensors(in);
    }
    Map<String, byte[]> exported =
        tensors(new ByteArrayInputStream(files.get(ReleaseLayout.WEIGHTS)));
    assertEquals(original.keySet(), exported.keySet());
    for (String name : original.keySet()) {
      if (name.equals(ReleaseLayout.ROTARY)) { // computed again: to float32's precision
        float[] a = floats(original.get(name));
        float[] b = floats(exported.get(name));
        for (int i = 0; i < a.length; i++) {
          assertEquals(a[i], b[i], 1e-7, name + "[" + i + "]");
        }
      } else {
        assertArrayEquals(original.get(name), exported.get(name), name);
      }
    }
  }

  @Test
  void weightsThatDoNotFitTheirConfigAreRefusedNamingTheTensor(@TempDir Path dir) throws Exception {
    ReleaseConfig config = config("bd3lm");
    String norm = "backbone.blocks.0.norm1.weight";
    assertRefused(
        config,
        rewrite(dir, "shape", entries -> replace(entries, norm, "F32", new long[] {16})),
        norm,
        "has shape [16]; the config implies [32]");
    assertRefused(
        config,
        rewrite(dir, "f16", entries -> replace(entries, norm, "F16", new long[] {32})),
        norm,
        "F16");
    assertRefused(
        config,
        rewrite(
            dir,
            "extra",
            entries -> {
              entries.add(Safetensors.f32("backbone.blocks.2.norm1.weight", new long[] {1}, 1f));
              return entries;
            }),
        "backbone.blocks.2.norm1.weight",
        "no place for");
    assertRefused(
        config,
        rewrite(
            dir,
            "missing",
            entries -> {
              entries.removeIf(e -> e.name().equals(norm));
              return entries;
            }),
        norm,
        "lacks");

    // the last tensor's data cut short: the header says where it should end
    Path truncated = dir.resolve("truncated.safetensors");
    byte[] whole = Files.readAllBytes(weights("bd3lm"));
    Files.write(truncated, Arrays.copyOf(whole, whole.length - 2));
    List<String> inDataOrder = List.copyOf(Safetensors.read(weights("bd3lm")).tensors().keySet());
    assertRefused(config, truncated, inDataOrder.get(inDataOrder.size() - 1), "truncated");
  }

  @Test
  void aConfigTheReferenceCannotBuildIsRefused() {
    IllegalArgumentException refused =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ReleaseLayout.config(
                    ("{\"block_size\":4,\"vocab_size\":260,\"model_length\":16,"
                            + "\"cross_attn\":true,\"adaln\":true,\"hidden_dim\":32,"
                            + "\"cond_dim\":16,\"n_blocks\":2,\"n_heads\":3}")
                        .getBytes(StandardCharsets.UTF_8)));
    assertTrue(refused.getMessage().contains("n_heads"), refused.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> ReleaseLayout.config("[1, 2]".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void aHeaderIsCheckedAsTheReferenceReaderChecksIt() {
    for (String header :
        new String[] {
          "{\"w0\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", // size
          "{\"w0\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,4]}}", // dtype
          "{\"w0\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
              + "\"w1\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", // overlap
          "{\"w0\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", // negative
          "{\"w0\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
              + "\"w0\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", // twice
        }) {
      byte[] text = header.getBytes(StandardCharsets.UTF_8);
      ByteBuffer file = ByteBuffer.allocate(8 + text.length + 8).order(ByteOrder.LITTLE_ENDIAN);
      file.putLong(text.length).put(text);
      IllegalArgumentException refused =
          assertThrows(
              IllegalArgumentException.class,
              () -> Safetensors.read(new ByteArrayInputStream(file.array()), file.capacity()),
              header);
      assertTrue(refused.getMessage().contains("w0"), refused.getMessage());
    }
    byte[] huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array();
    assertThrows(
        IllegalArgumentException.class,
        () -> Safetensors.read(new ByteArrayInputStream(huge), huge.length));
  }

  /** The written header is padded to 8 bytes and read back as written. */
  @Test
  void aWrittenFileReadsBack() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Safetensors.write(
        out,
        List.of(
            Safetensors.f32("b", new long[] {2}, 1f, 2f), Safetensors.f32("a", new long[0], 3f)));
    byte[] file = out.toByteArray();
    long headerLength = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, headerLength % 8);
    Safetensors.Header header = Safetensors.read(new ByteArrayInputStream(file), file.length);
    assertEquals(List.of("b", "a"), List.copyOf(header.tensors().keySet()));
    assertEquals(8 + headerLength, header.dataStart());
    assertEquals(12, file.length - header.dataStart());
    assertNull(header.tensors().get("__metadata__"));
    assertEquals(3f, floats(tensors(new ByteArrayInputStream(file)).get("a"))[0]);
  }

  private static void assertRefused(
      ReleaseConfig config, Path weights, String tensor, String message) {
    IllegalArgumentException refused =
        assertThrows(IllegalArgumentException.class, () -> ReleaseLayout.check(config, weights));
    assertTrue(
        refused.getMessage().contains(tensor) && refused.getMessage().contains(message),
        refused.getMessage());
  }

  /** The bd3lm fixture written again as {@code change} has its entries. */
  private static Path rewrite(Path dir, String name, UnaryOperator<List<Safetensors.Entry>> change)
      throws IOException {
    Path from = weights("bd3lm");
    Path to = dir.resolve(name + ".safetensors");
    Safetensors.Header header = Safetensors.read(from);
    try (FileChannel file = FileChannel.open(from, StandardOpenOption.READ);
        OutputStream out = Files.newOutputStream(to)) {
      List<Safetensors.Entry> entries = new ArrayList<>();
      for (Safetensors.Tensor t : header.tensors().values()) {
        entries.add(header.copied(file, t, t.name()));
      }
      Safetensors.write(out, change.apply(entries));
    }
    return to;
  }

  /** The entries with {@code name} replaced by zeros of another dtype or shape. */
  private static List<Safetensors.Entry> replace(
      List<Safetensors.Entry> entries, String name, String dtype, long[] shape) {
    int bytes = (dtype.equals("F16") ? 2 : 4) * (int) shape[0];
    entries.replaceAll(
        e ->
            e.name().equals(name)
                ? new Safetensors.Entry(name, dtype, shape, o -> o.write(new byte[bytes]))
                : e);
    return entries;
  }

  /** Every tensor's bytes by name, in the order of the data. */
  private static Map<String, byte[]> tensors(InputStream in) throws IOException {
    byte[] file = in.readAllBytes();
    Safetensors.Header header = Safetensors.read(new ByteArrayInputStream(file), file.length);
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (Safetensors.Tensor t : header.tensors().values()) {
      int from = (int) (header.dataStart() + t.begin());
      out.put(t.name(), Arrays.copyOfRange(file, from, from + (int) t.bytes()));
    }
    return out;
  }

  private static float[] floats(byte[] bytes) {
    float[] f = new float[bytes.length / 4];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
    return f;
  }

  private static Map<String, byte[]> unzip(byte[] zip) throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        files.put(e.getName(), in.readAllBytes());
      }
    }
    return files;
  }
}
