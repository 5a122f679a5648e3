package dev.bd3.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.release.ReleaseCheckpoint;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The backbone's raw output for a model in the authors' release layout, to compare with their code:
 * {@code --checkpoint DIR} (config.json + model.safetensors, any shape and vocabulary), {@code
 * --input IN.json} ({"xt": [[ids]], "x0": [[ids]]}, rows of model_length ids, MASK = vocab_size -
 * 1; {"tokens": [[ids]]} for a causal model), {@code --out OUT.json} ({"logits": [[[...]]]}:
 * float32, before the SUBS parameterisation, the noisy half of [x_t ; x_0] at sigma 0, as their
 * {@code DIT.forward} returns it).
 */
final class ForwardBench extends Benchmark {
  private static final ObjectMapper JSON = new ObjectMapper();

  ForwardBench(Options options, Report report) {
    super(options, report);
  }

  @Override
  void run() throws IOException {
    Path dir = Path.of(required("checkpoint"));
    JsonNode in = JSON.readTree(Path.of(required("input")).toFile());
    Path out = Path.of(required("out"));
    try (NDManager m = Engine.getInstance().newBaseManager()) {
      Bd3Lm model = ReleaseCheckpoint.read(dir, m).model();
      ModelConfig c = model.config();
      r.line(
          "%s: %s, %d layers x %d, %d heads, L = %d, L' = %d, vocabulary %d, adaLN C = %d, %,d"
              + " parameters",
          dir,
          c.causal() ? "causal" : "diffusion",
          c.layers(),
          c.width(),
          c.heads(),
          c.contextLength(),
          c.blockSize(),
          c.vocabSize(),
          c.condDim(),
          c.parameterCount());
      long started = System.nanoTime();
      NDArray logits =
          c.causal()
              ? model.backbone(ids(m, in, "tokens", c))
              : model.backbone(ids(m, in, "xt", c), ids(m, in, "x0", c));
      double ms = (System.nanoTime() - started) / 1e6;
      write(out, logits);
      r.line("logits %s written to %s in %.1f ms", logits.getShape(), out, ms);
      r.result("forward_ms", ms);
      r.finish();
    }
  }

  private String required(String name) {
    String value = o.text(name, null);
    if (value == null) {
      throw new IllegalArgumentException("--" + name + " is required");
    }
    return value;
  }

  /** Rows of model_length ids below vocab_size, as (B, L). */
  private static NDArray ids(NDManager m, JsonNode in, String field, ModelConfig c) {
    JsonNode rows = in.get(field);
    if (rows == null || !rows.isArray() || rows.isEmpty()) {
      throw new IllegalArgumentException(field + ": expected a non-empty array of rows of ids");
    }
    int l = c.contextLength();
    long[] flat = new long[rows.size() * l];
    for (int b = 0; b < rows.size(); b++) {
      JsonNode row = rows.get(b);
      if (!row.isArray() || row.size() != l) {
        throw new IllegalArgumentException(field + "[" + b + "]: expected " + l + " ids");
      }
      for (int i = 0; i < l; i++) {
        JsonNode id = row.get(i);
        if (!id.canConvertToInt() || id.asInt() < 0 || id.asInt() >= c.vocabSize()) {
          throw new IllegalArgumentException(
              field + "[" + b + "][" + i + "]: expected an id in [0, " + c.vocabSize() + ")");
        }
        flat[b * l + i] = id.asInt();
      }
    }
    return m.create(flat, new Shape(rows.size(), l));
  }

  private static void write(Path out, NDArray logits) throws IOException {
    Shape s = logits.getShape();
    float[] values = logits.toFloatArray();
    try (JsonGenerator g =
        JSON.getFactory()
            .createGenerator(out.toFile(), com.fasterxml.jackson.core.JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeArrayFieldStart("logits");
      int i = 0;
      for (long b = 0; b < s.get(0); b++) {
        g.writeStartArray();
        for (long t = 0; t < s.get(1); t++) {
          g.writeStartArray();
          for (long v = 0; v < s.get(2); v++) {
            g.writeNumber(values[i++]);
          }
          g.writeEndArray();
        }
        g.writeEndArray();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
  }
}
