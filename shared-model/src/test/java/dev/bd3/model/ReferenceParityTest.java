package dev.bd3.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bd3.model.diffusion.BlockDiffusionMask;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.diffusion.Nelbo;
import dev.bd3.model.nn.Attention;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.KvCache;
import dev.bd3.model.nn.ScriptedForward;
import dev.bd3.model.release.ReleaseCheckpoint;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our model against the authors' own code. The fixtures under {@code reference/} were computed by
 * running their DIT (kuleshov-group/bd3lms, models/dit.py) and their NELBO (diffusion.py) on a
 * small random model with non-zero adaLN weights, saved in their release layout; the generator is
 * shared-model/src/test/reference/generate_fixture.py. Importing that folder must give their logits
 * to 1e-4 and their loss to 1e-5, and exporting it must give back their tensors.
 */
class ReferenceParityTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final double LOGITS = 1e-4;

  @Test
  void theVectorisedForwardGivesTheReferenceLogits() throws Exception {
    JsonNode c = cases("bd3lm").get("training");
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = ReleaseCheckpoint.read(folder("bd3lm"), m).model();
      NDArray raw = model.backbone(ids(m, c.get("xt")), ids(m, c.get("x0")));
      close(c.get("logits"), raw, "training forward");
    }
  }

  @Test
  void theNelboAtFixedTIsTheReferenceLoss() throws Exception {
    JsonNode c = cases("bd3lm").get("nelbo");
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = ReleaseCheckpoint.read(folder("bd3lm"), m).model();
      NDArray xt = ids(m, c.get("xt"));
      NDArray x0 = ids(m, c.get("x0"));
      long[] noisy = xt.toLongArray();
      int b = (int) xt.getShape().get(0);
      int l = (int) xt.getShape().get(1);
      int blockSize = model.config().blockSize();
      float[] weights = new float[b * l];
      for (int i = 0; i < weights.length; i++) {
        double t = c.get("t").get(i / l).get(i % l / blockSize).asDouble();
        weights[i] = noisy[i] == model.config().mask() ? (float) (1 / t) : 0;
      }
      NDArray logits = model.denoise(xt, x0, false);
      NDArray terms = Nelbo.tokenTerms(logits, x0, m.create(weights, new Shape(b, l)));
      close(c.get("token_loss"), terms, "token terms");
      // the reference averages over every position here (its ignore_bos is off in the fixture)
      double loss = Nelbo.loss(logits, x0, m.create(weights, new Shape(b, l)), b * l).getFloat();
      assertEquals(c.get("loss").asDouble(), loss, 1e-5, "NELBO");
    }
  }

  /**
   * The reference samples without a cache: [clean blocks ; noisy block] under the block-causal
   * mask. Ours prefills the clean blocks into the KV cache and then runs the block alone, eagerly
   * and in the scripted forward the workers use.
   */
  @Test
  void theKvCachedSamplingForwardGivesTheReferenceLogits() throws Exception {
    JsonNode c = cases("bd3lm").get("sampling");
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = ReleaseCheckpoint.read(folder("bd3lm"), m).model();
      NDArray tokens = ids(m, c.get("tokens"));
      int lb = model.config().blockSize();
      int total = (int) tokens.getShape().get(1);
      int prefix = total - lb;
      NDArray mask =
          Attention.additiveMask(m, BlockDiffusionMask.blockCausal(prefix, lb), prefix, prefix);
      NDArray expected = ids(m, c.get("logits"), DataType.FLOAT32).get(":, " + prefix + ":");
      NDArray block = tokens.get(":, " + prefix + ":");
      NDArray at = m.arange(prefix, total, 1, DataType.INT64);
      try (KvCache cache = new KvCache(m, model.config().layers(), model.config().headSize());
          ScriptedForward scripted = model.scripted()) {
        NDArray first = tokens.get(":, :" + prefix);
        cache.append(
            model.forward(first, m.arange(0, prefix, 1, DataType.INT64), null, mask, false).kv());
        close(expected, model.forward(block, at, cache, null, false).logits(), "eager, cached");
        close(expected, scripted.forward(block, at, cache, null).logits(), "scripted, cached");
      }
      NDArray all =
          model
              .forward(
                  tokens,
                  m.arange(0, total, 1, DataType.INT64),
                  null,
                  blockCausal(m, total, lb),
                  false)
              .logits();
      close(c.get("logits"), all, "block-causal pass");
    }
  }

  @Test
  void theCausalModelGivesTheReferenceLogits() throws Exception {
    JsonNode c = cases("ar");
    try (NDManager m = Fixtures.manager()) {
      ReleaseCheckpoint.Loaded loaded = ReleaseCheckpoint.read(folder("ar"), m);
      assertTrue(loaded.model().config().causal());
      NDArray logits = loaded.model().nextTokenLogits(ids(m, c.get("tokens")), false);
      close(c.get("logits"), logits, "causal forward");
    }
  }

  /** Export writes back the reference's own tensors: every name, shape and value. */
  @Test
  void exportGivesBackTheReferenceTensors(@TempDir Path dir) throws Exception {
    for (String name : new String[] {"bd3lm", "ar"}) {
      try (NDManager m = Fixtures.manager()) {
        ReleaseCheckpoint.Loaded loaded = ReleaseCheckpoint.read(folder(name), m);
        Path out = dir.resolve(name);
        ReleaseCheckpoint.write(out, loaded.model(), loaded.schedule(), "bytes");
        Map<String, NDArray> theirs = tensors(folder(name).resolve(ReleaseCheckpoint.WEIGHTS), m);
        Map<String, NDArray> ours = tensors(out.resolve(ReleaseCheckpoint.WEIGHTS), m);
        assertEquals(theirs.keySet(), ours.keySet(), name);
        for (String key : theirs.keySet()) {
          NDArray a = theirs.get(key);
          NDArray b = ours.get(key);
          assertEquals(a.getShape(), b.getShape(), key);
          assertTrue(Fixtures.maxAbsDiff(a.toFloatArray(), b.toFloatArray()) <= 1e-7, key);
        }
        assertEquals(
            ReleaseCheckpoint.model(ReleaseCheckpoint.config(folder(name))),
            ReleaseCheckpoint.model(ReleaseCheckpoint.config(out)),
            name + ": config.json");
        assertEquals(new ClippedSchedule(0.001, 0.999), loaded.schedule());
      }
    }
  }

  private static NDArray blockCausal(NDManager m, int length, int blockSize) {
    return Attention.additiveMask(
        m, BlockDiffusionMask.blockCausal(length, blockSize), length, length);
  }

  private static Map<String, NDArray> tensors(Path file, NDManager m) throws IOException {
    Map<String, NDArray> out = new HashMap<>();
    try (InputStream in = Files.newInputStream(file)) {
      for (NDArray a : NDList.decode(m, in)) {
        out.put(a.getName(), a);
      }
    }
    return out;
  }

  private static void close(JsonNode expected, NDArray actual, String what) {
    close(ids(actual.getManager(), expected, DataType.FLOAT32), actual, what);
  }

  /**
   * Within 1e-4 everywhere, but where ours holds -inf: the MASK logit after SUBS, which the
   * reference's raw output leaves finite (it adds the -inf after the backbone).
   */
  private static void close(NDArray expected, NDArray actual, String what) {
    assertEquals(expected.getShape(), actual.getShape(), what);
    float[] e = expected.toFloatArray();
    float[] a = actual.toFloatArray();
    long v = expected.getShape().tail();
    double diff = 0;
    for (int i = 0; i < e.length; i++) {
      if (a[i] == Float.NEGATIVE_INFINITY) {
        assertEquals(v - 1, i % v, what + ": only MASK is -inf");
      } else {
        diff = Math.max(diff, Math.abs(e[i] - a[i]));
      }
    }
    System.out.printf("%s: max |difference| from the reference %.2e%n", what, diff);
    assertTrue(diff <= LOGITS, what + ": max |difference| " + diff);
  }

  private static NDArray ids(NDManager m, JsonNode rows) {
    return ids(m, rows, DataType.INT64);
  }

  /** A nested JSON array as an array of its shape. */
  private static NDArray ids(NDManager m, JsonNode rows, DataType type) {
    java.util.List<Long> shape = new java.util.ArrayList<>();
    for (JsonNode n = rows; n.isArray(); n = n.get(0)) {
      shape.add((long) n.size());
    }
    java.util.List<Double> flat = new java.util.ArrayList<>();
    flatten(rows, flat);
    Shape s = new Shape(shape.stream().mapToLong(Long::longValue).toArray());
    if (type == DataType.INT64) {
      return m.create(flat.stream().mapToLong(Double::longValue).toArray(), s);
    }
    float[] values = new float[flat.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = flat.get(i).floatValue();
    }
    return m.create(values, s);
  }

  private static void flatten(JsonNode n, java.util.List<Double> out) {
    if (n.isArray()) {
      n.forEach(x -> flatten(x, out));
    } else {
      out.add(n.asDouble());
    }
  }

  private static JsonNode cases(String name) throws IOException, URISyntaxException {
    return JSON.readTree(folder(name).resolve("cases.json").toFile());
  }

  private static Path folder(String name) throws URISyntaxException {
    return Path.of(ReferenceParityTest.class.getResource("/reference/" + name).toURI());
  }
}
