package dev.bd3.bench;

import java.util.Arrays;
import java.util.Map;

/** {@code bench/run NAME [--option value ...]}: one entry point for every benchmark. */
public final class Main {
  private static final Map<String, String> HELP =
      Map.of(
          "throughput", "training tokens/s and model FLOP utilisation against measured matmul rate",
          "vectorised", "one pass over [x_t ; x_0] against two passes and a dense 2L pass",
          "kv-cache", "a block's denoising pass with the KV cache against recomputing the prefix",
          "sampling", "generation tokens/s, NFE and quality for L' = 1, 4, 16 and MDLM",
          "paper-table",
              "AR, BD3 L' = 4, 8, 16 and MDLM on equal tokens, several seeds: test perplexity",
          "plateau", "steps until training leaves the unigram plateau, per initialisation",
          "serving",
              "streaming /v1/completions clients at concurrency 1, 4, 16: tokens/s, first block",
          "chaos", "mixed jobs while workers, gateway, broker and database are killed: none lost",
          "fuzz",
              "hostile requests as every role: no 5xx, every error a problem, no unallowed change",
          "forward",
              "raw logits of a model in the authors' release layout, to compare with their code");

  private Main() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || !HELP.containsKey(args[0])) {
      usage(args.length > 0 && isHelp(args[0]) ? 0 : 2);
    }
    if (Arrays.stream(args).anyMatch(Main::isHelp)) {
      System.out.printf(
          "bench/run %s [--option value ...]: %s%nThe report's last lines list every option it"
              + " read, with the value used (given or default).%n",
          args[0], HELP.get(args[0]));
      System.exit(0);
    }
    Options options;
    try {
      options = Options.parse(args, 1);
    } catch (IllegalArgumentException e) {
      System.err.println("bench/run: " + e.getMessage());
      usage(2);
      return;
    }
    Report report = new Report(args[0], options);
    switch (args[0]) {
      case "throughput" -> new ThroughputBench(options, report).run();
      case "vectorised" -> new VectorisedBench(options, report).run();
      case "kv-cache" -> new KvCacheBench(options, report).run();
      case "sampling" -> new SamplingBench(options, report).run();
      case "paper-table" -> new PaperTableBench(options, report).run();
      case "plateau" -> new PlateauBench(options, report).run();
      case "serving" -> new ServingBench(options, report).run();
      case "chaos" -> new ChaosBench(options, report).run();
      case "fuzz" -> new FuzzBench(options, report).run();
      case "forward" -> new ForwardBench(options, report).run();
      default -> throw new IllegalStateException();
    }
    options.rejectUnused();
  }

  private static boolean isHelp(String arg) {
    return arg.equals("--help") || arg.equals("-h");
  }

  private static void usage(int status) {
    (status == 0 ? System.out : System.err)
        .println("usage: bench/run NAME [--option value ...]; NAME is one of:");
    HELP.forEach((k, v) -> (status == 0 ? System.out : System.err).printf("  %-12s %s%n", k, v));
    System.exit(status);
  }
}
