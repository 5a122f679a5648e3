package dev.bd3.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.bd3.model.data.Tokenizer;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.DeviceCopy;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.spec.Vocabulary;
import java.util.SplittableRandom;

/** Small models and data for tests. */
final class Fixtures {
  private Fixtures() {}

  /** The byte tokenizer, what most tests read. */
  static final Tokenizer BYTES = Tokenizer.of(Vocabulary.BYTES);

  static NDManager manager() {
    return Engine.getInstance().newBaseManager();
  }

  /**
   * A tiny model whose zero-initialised weights (the output layer, adaLN-Zero's modulation) are
   * random, so that logits and gradients depend on every weight.
   */
  static Bd3Lm randomModel(ModelConfig config, NDManager m, long seed) {
    Bd3Lm model = Bd3Lm.create(config, m, seed);
    for (Parameter p : model.parameterList()) {
      if (maxAbs(p.getArray().toFloatArray()) == 0) {
        NDArray noise =
            m.randomNormal(0, 0.3f, p.getArray().getShape(), p.getArray().getDataType());
        DeviceCopy.into(noise, p.getArray());
        noise.close();
      }
    }
    return model;
  }

  /** Random byte sequences (B, L) starting with BOS. */
  static long[] tokens(int batch, int length, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    long[] x = new long[batch * length];
    for (int i = 0; i < x.length; i++) {
      x[i] = i % length == 0 ? BYTES.bos() : 97 + r.nextInt(26);
    }
    return x;
  }

  static double maxAbsDiff(float[] a, float[] b) {
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      d = Math.max(d, Math.abs(a[i] - b[i]));
    }
    return d;
  }

  static double maxAbs(float[] a) {
    double d = 0;
    for (float x : a) {
      d = Math.max(d, Math.abs(x));
    }
    return d;
  }
}
