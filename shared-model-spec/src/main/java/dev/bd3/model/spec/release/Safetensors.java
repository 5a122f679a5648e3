package dev.bd3.model.spec.release;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.EOFException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (huggingface/safetensors), as bytes: an 8-byte little-endian length, a
 * JSON header of name to {@code {dtype, shape, data_offsets: [begin, end]}} (offsets into the data
 * after the header; an optional {@code __metadata__} of strings), then the data. No tensor library
 * is needed, so the gateway checks and converts checkpoints of any size without holding a tensor: a
 * header is checked as the format's reference reader checks it, and data is copied as streams.
 */
public final class Safetensors {
  /** The largest header read, the reference reader's limit. */
  public static final int MAX_HEADER = 100_000_000;

  public static final String F32 = "F32";
  private static final String METADATA = "__metadata__";
  private static final Map<String, Integer> DTYPE_BYTES =
      Map.ofEntries(
          Map.entry("BOOL", 1),
          Map.entry("U8", 1),
          Map.entry("I8", 1),
          Map.entry("F8_E4M3", 1),
          Map.entry("F8_E5M2", 1),
          Map.entry("U16", 2),
          Map.entry("I16", 2),
          Map.entry("F16", 2),
          Map.entry("BF16", 2),
          Map.entry("U32", 4),
          Map.entry("I32", 4),
          Map.entry(F32, 4),
          Map.entry("U64", 8),
          Map.entry("I64", 8),
          Map.entry("F64", 8));
  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private Safetensors() {}

  /**
   * One tensor of a header.
   *
   * @param begin where its bytes start, counted from the start of the data
   * @param end where they end (exclusive)
   */
  public record Tensor(String name, String dtype, long[] shape, long begin, long end) {
    public long bytes() {
      return end - begin;
    }

    /** The shape as the format writes it: {@code [260, 32]}. */
    public String shapeText() {
      return Arrays.toString(shape);
    }
  }

  /**
   * A checked header.
   *
   * @param tensors by name, in the order of their data
   * @param dataStart the file offset of the data: 8 plus the header's length
   */
  public record Header(Map<String, Tensor> tensors, long dataStart) {
    /** Tensor {@code t} of {@code file} (whose header this is), to write again as {@code name}. */
    public Entry copied(FileChannel file, Tensor t, String name) {
      long at = dataStart + t.begin();
      return new Entry(name, t.dtype(), t.shape(), o -> copy(file, at, t.bytes(), o));
    }
  }

  /** Reads and checks the header of a safetensors file. */
  public static Header read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, Files.size(file));
    }
  }

  /**
   * Reads and checks the header at the start of {@code in}, a stream of {@code fileSize} bytes; the
   * stream is left at the start of the data. Every tensor must have a known dtype and a size that
   * its shape gives, and lie inside the file without overlapping another: an
   * IllegalArgumentException names the first that does not.
   */
  public static Header read(InputStream in, long fileSize) throws IOException {
    byte[] prefix = in.readNBytes(8);
    if (prefix.length < 8) {
      throw new IllegalArgumentException(
          "not a safetensors file: it ends within the 8 bytes of its header's length");
    }
    long length = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (length < 2 || length > MAX_HEADER) {
      throw new IllegalArgumentException(
          "not a safetensors file: a header of " + length + " bytes (2 to " + MAX_HEADER + ")");
    }
    long dataSize = fileSize - 8 - length;
    byte[] text = in.readNBytes((int) length);
    if (dataSize < 0 || text.length < length) {
      throw new IllegalArgumentException(
          "truncated: the header of " + length + " bytes runs past the end of the file");
    }
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("the header is not JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("the header is not a JSON object");
    }
    List<Tensor> tensors = new ArrayList<>();
    for (Map.Entry<String, JsonNode> field : root.properties()) {
      if (field.getKey().equals(METADATA)) {
        requireStrings(field.getValue());
      } else {
        tensors.add(tensor(field.getKey(), field.getValue(), dataSize));
      }
    }
    tensors.sort(Comparator.comparingLong(Tensor::begin).thenComparingLong(Tensor::end));
    for (int i = 1; i < tensors.size(); i++) {
      if (tensors.get(i).begin() < tensors.get(i - 1).end()) {
        throw new IllegalArgumentException(
            "the data of tensors "
                + tensors.get(i - 1).name()
                + " and "
                + tensors.get(i).name()
                + " overlap");
      }
    }
    Map<String, Tensor> byName = new LinkedHashMap<>();
    tensors.forEach(t -> byName.put(t.name(), t));
    return new Header(Collections.unmodifiableMap(byName), 8 + length);
  }

  private static Tensor tensor(String name, JsonNode node, long dataSize) {
    JsonNode dtype = node.path("dtype");
    JsonNode shape = node.path("shape");
    JsonNode offsets = node.path("data_offsets");
    if (!dtype.isTextual() || !shape.isArray() || !offsets.isArray() || offsets.size() != 2) {
      throw new IllegalArgumentException(
          "tensor " + name + ": needs a dtype, a shape and data_offsets [begin, end]");
    }
    Integer width = DTYPE_BYTES.get(dtype.asText());
    if (width == null) {
      throw new IllegalArgumentException(
          "tensor " + name + ": unknown dtype " + dtype.asText() + "; known: " + DTYPE_BYTES);
    }
    long[] dims = new long[shape.size()];
    long bytes = width;
    try {
      for (int i = 0; i < dims.length; i++) {
        dims[i] = size(shape.get(i), name, "shape " + shape);
        bytes = Math.multiplyExact(bytes, dims[i]);
      }
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("tensor " + name + ": shape " + shape + " is too large");
    }
    long begin = size(offsets.get(0), name, "data_offsets " + offsets);
    long end = size(offsets.get(1), name, "data_offsets " + offsets);
    if (end < begin || end - begin != bytes) {
      throw new IllegalArgumentException(
          "tensor "
              + name
              + ": data_offsets "
              + offsets
              + " do not hold the "
              + bytes
              + " bytes of "
              + dtype.asText()
              + " "
              + shape);
    }
    if (end > dataSize) {
      throw new IllegalArgumentException(
          "truncated: the data of tensor "
              + name
              + " ends at byte "
              + end
              + " of the data, which holds "
              + dataSize);
    }
    return new Tensor(name, dtype.asText(), dims, begin, end);
  }

  /** A non-negative whole number of the header. */
  private static long size(JsonNode n, String tensor, String what) {
    if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0) {
      throw new IllegalArgumentException(
          "tensor " + tensor + ": " + what + " must be non-negative whole numbers");
    }
    return n.asLong();
  }

  private static void requireStrings(JsonNode metadata) {
    boolean strings = metadata.isObject();
    for (JsonNode value : metadata) {
      strings &= value.isTextual();
    }
    if (!strings) {
      throw new IllegalArgumentException(METADATA + " must be an object of strings");
    }
  }

  /** Writes a tensor's bytes; it must write exactly as many as its dtype and shape take. */
  @FunctionalInterface
  public interface Data {
    void writeTo(OutputStream out) throws IOException;
  }

  /** A tensor to write. */
  public record Entry(String name, String dtype, long[] shape, Data data) {
    long bytes() {
      long n = DTYPE_BYTES.get(dtype);
      for (long s : shape) {
        n = Math.multiplyExact(n, s);
      }
      return n;
    }
  }

  /** A float32 tensor of these values (little-endian, as the format stores every number). */
  public static Entry f32(String name, long[] shape, float... values) {
    ByteBuffer bytes = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    return new Entry(name, F32, shape, out -> out.write(bytes.array()));
  }

  /**
   * Writes a safetensors file of {@code entries}, their data in that order, each entry's {@link
   * Data} called once in turn (so entries may copy from one stream that holds their bytes in that
   * order). The header names the format {@code pt}, as PyTorch's files do (Hugging Face's loaders
   * ask for it), and is padded with spaces to a multiple of 8 bytes, as the reference writer pads
   * it, so that the data starts aligned.
   */
  public static void write(OutputStream out, List<Entry> entries) throws IOException {
    ObjectNode header = JSON.createObjectNode();
    header.putObject(METADATA).put("format", "pt");
    long offset = 0;
    for (Entry e : entries) {
      ObjectNode t = header.putObject(e.name());
      t.put("dtype", e.dtype());
      Arrays.stream(e.shape()).forEach(t.putArray("shape")::add);
      t.putArray("data_offsets").add(offset).add(offset + e.bytes());
      offset += e.bytes();
    }
    byte[] json = JSON.writeValueAsBytes(header);
    int padded = (json.length + 7) / 8 * 8;
    byte[] text = Arrays.copyOf(json, padded);
    Arrays.fill(text, json.length, padded, (byte) ' ');
    out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
    out.write(text);
    for (Entry e : entries) {
      Counting counted = new Counting(out);
      e.data().writeTo(counted);
      if (counted.count != e.bytes()) {
        throw new IllegalStateException(
            e.name() + ": " + counted.count + " bytes written for the " + e.bytes() + " declared");
      }
    }
  }

  /** Copies exactly {@code count} bytes of {@code in} to {@code out}. */
  public static void copy(InputStream in, long count, OutputStream out) throws IOException {
    byte[] buffer = new byte[1 << 16];
    for (long left = count; left > 0; ) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n < 0) {
        throw new EOFException("the data ends " + left + " bytes early");
      }
      out.write(buffer, 0, n);
      left -= n;
    }
  }

  /** Copies {@code count} bytes of {@code file} from {@code position} to {@code out}. */
  public static void copy(FileChannel file, long position, long count, OutputStream out)
      throws IOException {
    copy(Channels.newInputStream(file.position(position)), count, out);
  }

  /** Counts what passes, so that an entry that writes the wrong size is caught. */
  private static final class Counting extends FilterOutputStream {
    private long count;

    Counting(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }
  }
}
