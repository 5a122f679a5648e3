package dev.bd3.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * {@link Bd3Lm#forward} without gradients as one call into a TorchScript module, so that a small
 * pass (a block of a few tokens after a cached prefix, what sampling runs) is not bound by the cost
 * of calling each of its ~130 tensor operations from Java. The module's source is
 * ScriptedForward.py beside this class; it is packed here into the archive that {@code
 * torch.jit.load} reads (source, the pickled module object, its constants) and compiled by
 * libtorch, so no Python is needed. The weights are the model's own tensors, passed by reference:
 * the eager forward stays the reference, and a test checks that both give the same logits.
 */
public final class ScriptedForward implements AutoCloseable {
  private static final String CLASS = "ScriptedForward";

  private final Bd3Lm model;
  private final PtNDManager manager;
  private final PtSymbolBlock module;
  private final IValue weights;
  private final int heads;
  private final int layers;

  ScriptedForward(Bd3Lm model, List<NDArray> weights) {
    this.model = model;
    this.manager = (PtNDManager) weights.get(0).getManager().newSubManager();
    this.heads = model.config().heads();
    this.layers = model.config().layers();
    try (InputStream archive = new ByteArrayInputStream(archive())) {
      this.module = JniUtils.loadModule(manager, archive, false, false);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.weights = IValue.listFrom(weights.toArray(PtNDArray[]::new));
  }

  /**
   * As {@code model.forward(tokens, positions, cache, mask, false)}: tokens (B, T) at positions
   * (T), attending to {@code cache} (null: none) and to themselves as {@code mask} (null: all).
   */
  public Bd3Lm.Output forward(NDArray tokens, NDArray positions, KvCache cache, NDArray mask) {
    return forward(tokens, positions, null, cache, mask);
  }

  /** As {@code model.forward(tokens, positions, sigma, cache, mask, false)}. */
  public Bd3Lm.Output forward(
      NDArray tokens, NDArray positions, NDArray sigma, KvCache cache, NDArray mask) {
    NDManager out = tokens.getManager();
    NDArray c = model.conditioning(sigma, out); // the small MLP of c runs eagerly
    int layers = cache == null || cache.layer(0) == null ? 0 : this.layers; // none while empty
    PtNDArray[] keys = new PtNDArray[layers];
    PtNDArray[] values = new PtNDArray[layers];
    for (int i = 0; i < layers; i++) {
      keys[i] = (PtNDArray) cache.layer(i).keys();
      values[i] = (PtNDArray) cache.layer(i).values();
    }
    List<IValue> inputs = new ArrayList<>();
    try (NDArray floatPositions = positions.toType(DataType.FLOAT32, false)) {
      inputs.add(IValue.from((PtNDArray) tokens));
      inputs.add(IValue.from((PtNDArray) floatPositions));
      inputs.add(weights);
      inputs.add(c == null ? IValue.listFrom(new PtNDArray[0]) : IValue.listFrom((PtNDArray) c));
      inputs.add(IValue.listFrom(keys));
      inputs.add(IValue.listFrom(values));
      inputs.add(
          mask == null ? IValue.listFrom(new PtNDArray[0]) : IValue.listFrom((PtNDArray) mask));
      inputs.add(IValue.from((long) heads));
      try (IValue result = IValueUtils.forward(module, inputs.toArray(IValue[]::new))) {
        IValue[] tuple = result.toIValueTuple();
        NDArray logits = tuple[0].toTensor((PtNDManager) out);
        PtNDArray[] newKeys = tuple[1].toTensorArray((PtNDManager) out);
        PtNDArray[] newValues = tuple[2].toTensorArray((PtNDManager) out);
        Arrays.stream(tuple).forEach(IValue::close);
        List<LayerKv> kv = new ArrayList<>(newKeys.length);
        for (int i = 0; i < newKeys.length; i++) {
          kv.add(new LayerKv(newKeys[i], newValues[i]));
        }
        return new Bd3Lm.Output(logits, kv);
      }
    } finally {
      inputs.stream().filter(v -> v != weights).forEach(IValue::close);
    }
  }

  @Override
  public void close() {
    weights.close();
    manager.close();
  }

  /**
   * The TorchScript archive of the module: its source under code/, the module object (a {@code
   * __torch__.ScriptedForward} whose only attribute is {@code training}) as a protocol-2 pickle, no
   * constants, format version 3.
   */
  private static byte[] archive() throws IOException {
    byte[] source;
    try (InputStream in = ScriptedForward.class.getResourceAsStream(CLASS + ".py")) {
      source = in.readAllBytes();
    }
    ByteArrayOutputStream pickle = new ByteArrayOutputStream();
    pickle.write(new byte[] {(byte) 0x80, 2}); // PROTO 2
    pickle.write(ascii("c__torch__\n" + CLASS + "\n")); // GLOBAL __torch__.ScriptedForward
    pickle.write(new byte[] {')', (byte) 0x81, '}', '('}); // EMPTY_TUPLE NEWOBJ EMPTY_DICT MARK
    byte[] training = ascii("training");
    pickle.write(new byte[] {'X', (byte) training.length, 0, 0, 0}); // BINUNICODE
    pickle.write(training);
    pickle.write(new byte[] {(byte) 0x89, 'u', 'b', '.'}); // NEWFALSE SETITEMS BUILD STOP
    ByteArrayOutputStream zip = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(zip)) {
      stored(z, "data.pkl", pickle.toByteArray());
      stored(z, "code/__torch__.py", source);
      stored(z, "constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'}); // an empty tuple
      stored(z, "version", ascii("3\n"));
    }
    return zip.toByteArray();
  }

  private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
    ZipEntry entry = new ZipEntry("scripted/" + name);
    entry.setMethod(ZipEntry.STORED); // torch.jit.load reads entries in place, uncompressed
    entry.setSize(data.length);
    CRC32 crc = new CRC32();
    crc.update(data);
    entry.setCrc(crc.getValue());
    zip.putNextEntry(entry);
    zip.write(data);
    zip.closeEntry();
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
