package dev.bd3.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.bd3.model.data.Windows;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.diffusion.Nelbo;
import dev.bd3.model.diffusion.NoisedBatch;
import dev.bd3.model.diffusion.ScheduleSearch;
import dev.bd3.model.eval.PerplexityEvaluator;
import dev.bd3.model.nn.Bd3Lm;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The shape of the paper's Table: AR, BD3-LM L' = 4, 8, 16 and MDLM trained with the same budget,
 * test perplexity of each (NELBO bound with t from [1e-3, 1]; exact likelihood for AR), and the
 * variance of the L' = 4 NELBO under the clipped interval [0.45, 0.95] against U[1e-3, 1].
 */
final class PaperTableBench extends Benchmark {
  PaperTableBench(Options options, Report report) {
    super(options, report);
  }

  @Override
  void run() throws Exception {
    Contenders contenders = new Contenders(o, r);
    double budget = o.real("budget", 2);
    int draws = o.integer("draws", 4);
    int sequences = o.integer("eval-sequences", 256);
    r.line(
        "corpus %s (%d train / %d test bytes); model %d layers x %d, L = %d; %.1f min of training each",
        contenders.corpus.name(),
        contenders.corpus.train().length,
        contenders.corpus.test().length,
        contenders.shape.layers(),
        contenders.shape.width(),
        contenders.shape.contextLength(),
        budget);
    Map<String, Double> ppl = new LinkedHashMap<>();
    try (NDManager m = Engine.getInstance().newBaseManager()) {
      for (String name : Contenders.NAMES) {
        Path checkpoint = contenders.train(name, budget, m);
        Bd3Lm model = dev.bd3.model.train.Checkpoint.read(checkpoint, m).model(m, true);
        PerplexityEvaluator.Result e =
            PerplexityEvaluator.evaluate(
                model, contenders.corpus.test(), sequences, 16, draws, 1, m);
        ppl.put(name, e.perplexity());
        r.line(
            "  %-7s test PPL <= %.3f  (NELBO %.4f +- %.4f, %d tokens, %d draws)",
            name, e.perplexity(), e.nelbo(), e.stdError(), e.tokens(), e.draws());
        if (name.equals("bd3_4")) {
          nelboVariance(model, contenders, m);
        }
      }
    }
    r.line("");
    r.line("| model | test PPL |");
    r.line("|---|---|");
    ppl.forEach((k, v) -> r.line("| %s | %.2f |", k, v));
    boolean ordered = true;
    String[] names = Contenders.NAMES;
    for (int i = 1; i < names.length; i++) {
      ordered &= ppl.get(names[i - 1]) < ppl.get(names[i]);
    }
    r.line(
        "PPL(AR) < PPL(4) < PPL(8) < PPL(16) < PPL(MDLM): %s; PPL(4) / PPL(AR) = %.3f",
        ordered ? "yes" : "NO", ppl.get("bd3_4") / ppl.get("ar"));
    ppl.forEach((k, v) -> r.result("ppl_" + k, v));
    r.result("ppl_ratio_bd3_4_to_ar", ppl.get("bd3_4") / ppl.get("ar"));
    r.finish();
  }

  /** Variance across Monte Carlo draws of the batch NELBO, averaged over held-out batches. */
  private void nelboVariance(Bd3Lm model, Contenders c, NDManager m) {
    int batches = o.integer("variance-batches", 8);
    int draws = o.integer("variance-draws", 32);
    int batch = 16;
    int l = c.shape.contextLength();
    ClippedSchedule clipped = new ClippedSchedule(0.45, 0.95);
    double[] variance = new double[2];
    SplittableRandom windows = new SplittableRandom(5);
    for (int k = 0; k < batches; k++) {
      long[] x0 = Windows.random(c.corpus.validation(), batch, l, windows);
      ClippedSchedule[] schedules = {ClippedSchedule.FULL, clipped};
      for (int s = 0; s < 2; s++) {
        double[] estimates = new double[draws];
        SplittableRandom random = new SplittableRandom(100 + k);
        for (int d = 0; d < draws; d++) {
          NoisedBatch b =
              NoisedBatch.noise(
                  x0, batch, l, model.config().blockSize(), schedules[s], false, random);
          try (NDManager step = m.newSubManager()) {
            estimates[d] =
                Nelbo.tokenTerms(model, b, step, false).sum().getFloat() / b.scoredTokens();
          }
        }
        variance[s] += ScheduleSearch.variance(estimates) / batches;
      }
    }
    r.line(
        "  NELBO variance at L' = 4 (%d batches x %d draws): U[1e-3, 1] %.3e, clipped [0.45, 0.95] %.3e, ratio %.2f",
        batches, draws, variance[0], variance[1], variance[0] / variance[1]);
    r.result("nelbo_var_ratio", variance[0] / variance[1]);
  }
}
