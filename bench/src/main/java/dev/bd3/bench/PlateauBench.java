package dev.bd3.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.bd3.model.data.Corpus;
import dev.bd3.model.data.Windows;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.diffusion.NoisedBatch;
import dev.bd3.model.eval.UnigramEntropy;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.DeviceCopy;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.spec.ModelPreset;
import dev.bd3.model.train.TrainingConfig;
import dev.bd3.model.train.TrainingLoop;
import dev.bd3.model.train.TrainingStep;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Where the early training plateau comes from. Every model first learns the unigram distribution
 * (NELBO = unigram entropy H1: no context used) and stays there until attention learns to read
 * neighbouring positions. This trains each model for a fixed number of steps from several seeds
 * under two initialisations and reports the step at which the smoothed training loss leaves the
 * plateau (falls below H1 - margin): the reference's PyTorch default (fan-in scaled) and a fixed
 * N(0, 0.02) for every matrix (what GPT-2 uses at width 768, where the two agree).
 */
final class PlateauBench extends Benchmark {
  PlateauBench(Options options, Report report) {
    super(options, report);
  }

  @Override
  void run() {
    ModelConfig shape = o.model(4, 128, 4, 128, 4, ModelPreset.CPU.condDim);
    Corpus corpus = Corpus.named(o.text("corpus", Corpus.EUROPARL));
    int steps = o.integer("steps", 300);
    int seeds = o.integer("seeds", 3);
    double margin = o.real("margin", 0.2);
    List<String> models = Arrays.asList(o.text("models", "ar,bd3_4,bd3_16").split(","));
    List<String> inits = Arrays.asList(o.text("inits", "reference,fixed").split(","));
    double h1 = UnigramEntropy.of(corpus.tokens(shape.tokenizer()).train());
    r.line(
        "corpus %s, unigram entropy H1 = %.3f nats; %d layers x %d, L = %d; %d steps, batch %d",
        corpus.name(), h1, shape.layers(), shape.width(), shape.contextLength(), steps, 16);
    r.line("escape = first step whose 20-step mean loss is below H1 - %.2f", margin);
    for (String model : models) {
      ModelConfig config = shape.withBlockSize(Contenders.blockSize(model, shape.contextLength()));
      for (String init : inits) {
        List<Integer> escapes = new ArrayList<>();
        List<Double> finals = new ArrayList<>();
        for (int seed = 0; seed < seeds; seed++) {
          double[] losses = train(config, corpus, init, seed, steps);
          int escape = escapeStep(losses, h1 - margin);
          escapes.add(escape);
          finals.add(mean(losses, steps - 20, steps));
        }
        r.line(
            "  %-7s %-9s escape steps %s, loss over the last 20 steps %s",
            model, init, escapes, format(finals));
        r.result("escape_median_" + model + "_" + init, median(escapes, steps));
      }
    }
    r.finish();
  }

  private double[] train(ModelConfig config, Corpus corpus, String init, long seed, int steps) {
    TrainingConfig tc =
        TrainingConfig.quick(steps)
            .batchSize(16)
            .learningRate(o.real("lr", 1e-3))
            .warmupSteps(o.integer("warmup", 50))
            .seed(seed)
            .build();
    ClippedSchedule schedule =
        config.isAutoregressive() ? ClippedSchedule.ALL_MASKED : ClippedSchedule.FULL;
    double[] losses = new double[steps];
    try (NDManager m = Engine.getInstance().newBaseManager()) {
      Bd3Lm model = Bd3Lm.create(config, m, seed);
      if (init.equals("fixed")) {
        fixedInit(model, seed);
      }
      try (TrainingStep trainer = new TrainingStep(model, tc, m)) {
        for (int s = 1; s <= steps; s++) {
          SplittableRandom random = TrainingLoop.randomFor(seed, s); // the loop's data, step s
          long[] x0 =
              Windows.random(
                  corpus.tokens(config.tokenizer()).train(),
                  config.tokenizer().bos(),
                  16,
                  config.contextLength(),
                  random);
          NoisedBatch batch = NoisedBatch.noise(x0, 16, config, schedule, false, random);
          losses[s - 1] = trainer.run(batch, s);
        }
      }
    }
    return losses;
  }

  /**
   * Every matrix but the zero output layer redrawn from N(0, 0.02), those that write into the
   * residual stream scaled by 1 / sqrt(2 layers) (GPT-2), and the MLP biases zero.
   */
  private static void fixedInit(Bd3Lm model, long seed) {
    Engine.getInstance().setRandomSeed((int) seed);
    double residual = 0.02 / Math.sqrt(2.0 * model.config().layers());
    for (Parameter p : model.parameterList()) {
      String name = p.getName();
      boolean matrix = p.getArray().getShape().dimension() == 2 && !name.equals("output");
      if (name.equals("upBias") || name.equals("downBias")) {
        p.getArray().subi(p.getArray());
      } else if (matrix) {
        double std = name.equals("out") || name.equals("down") ? residual : 0.02;
        DeviceCopy.into(
            p.getArray()
                .getManager()
                .randomNormal(0, (float) std, p.getArray().getShape(), p.getArray().getDataType()),
            p.getArray());
      }
    }
  }

  private static int escapeStep(double[] losses, double level) {
    for (int s = 20; s <= losses.length; s++) {
      if (mean(losses, s - 20, s) < level) {
        return s;
      }
    }
    return -1;
  }

  private static double mean(double[] xs, int from, int to) {
    double sum = 0;
    for (int i = from; i < to; i++) {
      sum += xs[i];
    }
    return sum / (to - from);
  }

  /** Median escape step; a run that never escaped counts as one past the last step. */
  private static double median(List<Integer> escapes, int steps) {
    int[] xs = escapes.stream().mapToInt(e -> e < 0 ? steps + 1 : e).sorted().toArray();
    return xs.length % 2 == 1
        ? xs[xs.length / 2]
        : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2.0;
  }

  private static String format(List<Double> xs) {
    StringBuilder b = new StringBuilder("[");
    for (double x : xs) {
      b.append(b.length() > 1 ? ", " : "").append(String.format("%.3f", x));
    }
    return b.append("]").toString();
  }
}
