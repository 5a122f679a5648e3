package dev.bd3.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.bd3.model.eval.GenerativePerplexity;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.sample.BlockSampler;
import dev.bd3.model.sample.GeneratedSample;
import dev.bd3.model.sample.SamplerConfig;
import dev.bd3.model.spec.SamplerRule;
import dev.bd3.model.train.Checkpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Generation speed and quality at equal model size: AR (one pass per token), BD3-LM L' = 4 and 16,
 * and MDLM, with the KV cache. For each diffusion model every rule runs at several settings: the
 * parallel rule committing k tokens per step (k = 1, 2, 4, ... L') and the confidence threshold
 * (Fast-dLLM: every position at least tau sure, at least one per step) at several tau. Settings are
 * chosen on samples of another seed than the rows reported (the fewest model calls per token within
 * 10% of that model's best judged perplexity there), and the frontier (generative perplexity
 * against model calls per token) is drawn on the reported samples. Quality is generative perplexity
 * under a sliding window, judged by an AR model of another training seed than the AR contender, so
 * that no model judges its own samples. {@code bd3_vs_ar_speed} is the speed over AR of the fastest
 * BD3 setting whose judged perplexity (on the selection samples) is within 10% of AR's; 0 when none
 * is. The chosen settings are timed twice, with the scripted forward the samplers use and with the
 * eager one (the same samples): the sampler before and after.
 */
final class SamplingBench extends Benchmark {
  private static final long SELECTION_SEED = 7;
  private static final long REPORT_SEED = 8;
  private static final double[] THRESHOLDS = {0.1, 0.2, 0.3, 0.5, 0.7, 0.9};

  SamplingBench(Options options, Report report) {
    super(options, report);
  }

  /**
   * A setting's speed (scripted forward; eager, the same samples: NaN when not timed) and quality.
   */
  record Outcome(
      double tokensPerSecond,
      double eagerTokensPerSecond,
      double nfePerToken,
      double genPpl,
      double entropy) {}

  /** A rule at one setting: parallel's k, or the threshold's tau (AR: DDPM on blocks of one). */
  record Setting(SamplerRule kind, int k, double tau) {
    String label() {
      return switch (kind) {
        case PARALLEL -> "parallel k=" + k;
        case THRESHOLD -> "threshold tau=" + tau;
        default -> kind.name().toLowerCase(Locale.ROOT);
      };
    }

    String rule() {
      return kind.name().toLowerCase(Locale.ROOT);
    }
  }

  @Override
  void run() {
    Contenders contenders = new Contenders(o);
    int samples = o.integer("samples", 4);
    int tokens = o.integer("tokens", 256);
    long trainTokens = (long) o.real("train-tokens", 614_400);
    String[] names = {"ar", "bd3_4", "bd3_16", "mdlm"};
    try (NDManager m = Engine.getInstance().newBaseManager()) {
      Map<String, Bd3Lm> models = contenders.load(names, trainTokens, m);
      Bd3Lm judge = judge(contenders, trainTokens, m);
      int stride = o.integer("stride", judge.config().contextLength() / 4);
      boolean validUtf8 = Boolean.parseBoolean(o.text("valid-utf8", "true"));
      Measure measure = new Measure(judge, samples, tokens, stride, validUtf8, m);
      r.line(
          "%d samples x %d tokens per setting, nucleus 0.9, no EOS stop, valid UTF-8 %s; judge: AR"
              + " of training seed %d, sliding window of stride %d",
          samples, tokens, validUtf8 ? "on" : "off", o.integer("judge-seed", 1), stride);
      r.line(
          "settings are chosen on the samples of seed %d; every row is seed %d",
          SELECTION_SEED, REPORT_SEED);
      Setting arSetting = new Setting(SamplerRule.DDPM, 1, 0);
      Outcome arSelection = measure.of(models.get("ar"), arSetting, SELECTION_SEED, false);
      Outcome ar = measure.of(models.get("ar"), arSetting, REPORT_SEED, true);
      Setting fastest = null;
      String fastestModel = null;
      double fastestRate = 0;
      Map<String, Map.Entry<Setting, Outcome>> chosen = new LinkedHashMap<>();
      r.line("frontier: | model | sampler | NFE / token | gen PPL | entropy |");
      r.line("|---|---|---|---|---|");
      for (String name : names) {
        if (name.equals("ar")) {
          continue;
        }
        Bd3Lm model = models.get(name);
        Map<Setting, Outcome> selection = new LinkedHashMap<>();
        for (Setting setting : settings(model.config().blockSize())) {
          Outcome s = measure.of(model, setting, SELECTION_SEED, false);
          selection.put(setting, s);
          Outcome shown = measure.of(model, setting, REPORT_SEED, false);
          r.line(
              "| %s | %s | %.3f | %.1f | %.2f |",
              name, setting.label(), shown.nfePerToken(), shown.genPpl(), shown.entropy());
          if (!name.equals("mdlm")
              && s.genPpl() <= 1.1 * arSelection.genPpl()
              && s.tokensPerSecond() > fastestRate) {
            fastest = setting;
            fastestModel = name;
            fastestRate = s.tokensPerSecond();
          }
        }
        double best = selection.values().stream().mapToDouble(Outcome::genPpl).min().orElseThrow();
        for (String rule : List.of("parallel", "threshold")) {
          Setting pick = fewestCalls(selection, rule, best);
          Outcome c = measure.of(model, pick, REPORT_SEED, true);
          chosen.put(name + " " + rule, Map.entry(pick, c));
          r.result("nfe_per_token_" + rule + "_" + name, c.nfePerToken());
          r.result("gen_ppl_" + rule + "_" + name, c.genPpl());
        }
      }
      r.line("");
      r.line(
          "chosen (fewest model calls within 10%% of the model's best judged perplexity, on the"
              + " selection samples):");
      r.line(
          "| model | sampler | tokens/s | tokens/s, eager forward | NFE / token | gen PPL | entropy"
              + " |");
      r.line("|---|---|---|---|---|---|---|");
      row("ar", "autoregressive, one pass per token", ar);
      report("ar", ar);
      chosen.forEach(
          (key, e) -> {
            String name = key.substring(0, key.indexOf(' '));
            row(name, e.getKey().label(), e.getValue());
            if (e.getKey().kind() == SamplerRule.PARALLEL) {
              report(name, e.getValue());
              r.result("tokens_per_step_" + name, e.getKey().k());
            }
          });
      if (fastest == null) {
        r.line("no BD3 setting reaches AR's judged perplexity within 10%%: bd3_vs_ar_speed = 0");
        r.result("bd3_vs_ar_speed", 0);
      } else {
        Outcome f = measure.of(models.get(fastestModel), fastest, REPORT_SEED, true);
        r.line(
            "fastest BD3 setting within 10%% of AR's judged perplexity: %s %s, %.0f tokens/s"
                + " against AR's %.0f (gen PPL %.1f against %.1f)",
            fastestModel,
            fastest.label(),
            f.tokensPerSecond(),
            ar.tokensPerSecond(),
            f.genPpl(),
            ar.genPpl());
        r.result("bd3_vs_ar_speed", f.tokensPerSecond() / ar.tokensPerSecond());
      }
    }
    r.finish();
  }

  /** Parallel k = 1, 2, 4, ... L', then the threshold at each tau. */
  private static List<Setting> settings(int blockSize) {
    List<Setting> settings = new ArrayList<>();
    for (int k = 1; k <= blockSize; k *= 2) {
      settings.add(new Setting(SamplerRule.PARALLEL, k, 0));
    }
    for (double tau : THRESHOLDS) {
      settings.add(new Setting(SamplerRule.THRESHOLD, 1, tau));
    }
    return settings;
  }

  /** The rule's setting with the fewest model calls per token among those within 10% of best. */
  private static Setting fewestCalls(Map<Setting, Outcome> selection, String rule, double best) {
    return selection.entrySet().stream()
        .filter(e -> e.getKey().rule().equals(rule) && e.getValue().genPpl() <= 1.1 * best)
        .min(Comparator.comparingDouble(e -> e.getValue().nfePerToken()))
        .or(
            () -> // none good enough: the rule's best
            selection.entrySet().stream()
                    .filter(e -> e.getKey().rule().equals(rule))
                    .min(Comparator.comparingDouble(e -> e.getValue().genPpl())))
        .orElseThrow()
        .getKey();
  }

  /** An AR model of another training seed: trained here when {@code --out} has none. */
  private Bd3Lm judge(Contenders c, long trainTokens, NDManager m) {
    int seed = o.integer("judge-seed", 1);
    Path dir = c.out.resolve("ar").resolve("seed-" + seed);
    Path checkpoint =
        Checkpoint.newest(dir)
            .orElseGet(
                () -> c.train("ar", seed, c.steps(trainTokens), null, m).lastCheckpoint().path());
    return Checkpoint.read(checkpoint, m).model(m, true);
  }

  private void report(String name, Outcome c) {
    r.result("tokens_per_s_" + name, c.tokensPerSecond());
    r.result("tokens_per_s_eager_" + name, c.eagerTokensPerSecond());
    r.result("nfe_per_token_" + name, c.nfePerToken());
    r.result("gen_ppl_" + name, c.genPpl());
  }

  private void row(String model, String sampler, Outcome o) {
    r.line(
        "| %s | %s | %.0f | %.0f | %.3f | %.1f | %.2f |",
        model,
        sampler,
        o.tokensPerSecond(),
        o.eagerTokensPerSecond(),
        o.nfePerToken(),
        o.genPpl(),
        o.entropy());
  }

  /** Generates with one setting and judges the samples. */
  private record Measure(
      Bd3Lm judge, int n, int tokens, int stride, boolean validUtf8, NDManager m) {
    /** With {@code eager}, the same samples again through the eager forward, timed. */
    Outcome of(Bd3Lm model, Setting setting, long seed, boolean eager) {
      SamplerConfig config =
          new SamplerConfig(
              setting.kind(),
              model.config().blockSize(),
              0.9,
              1.0,
              setting.k(),
              setting.kind() == SamplerRule.THRESHOLD ? setting.tau() : 0.9,
              tokens,
              false,
              0,
              256,
              seed,
              validUtf8);
      long start = System.nanoTime();
      List<GeneratedSample> samples =
          BlockSampler.cached(model, config)
              .generate(n, new int[0], m, BlockSampler.Listener.NONE)
              .samples();
      double seconds = (System.nanoTime() - start) / 1e9;
      double eagerSeconds = Double.NaN;
      if (eager) {
        start = System.nanoTime(); // the same samples through the eager forward, the reference
        BlockSampler.cachedEager(model, config)
            .generate(n, new int[0], m, BlockSampler.Listener.NONE);
        eagerSeconds = (System.nanoTime() - start) / 1e9;
      }
      long total = samples.stream().mapToLong(s -> s.tokens().length).sum();
      double nfe = samples.stream().mapToDouble(GeneratedSample::nfe).sum() / total;
      double entropy = samples.stream().mapToDouble(GeneratedSample::entropy).average().orElse(0);
      List<int[]> ids = samples.stream().map(GeneratedSample::tokens).toList();
      double genPpl = GenerativePerplexity.judge(judge, ids, stride, m).meanPerplexity();
      return new Outcome(total / seconds, total / eagerSeconds, nfe, genPpl, entropy);
    }
  }
}
