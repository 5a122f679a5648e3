package dev.bd3.bench;

import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.spec.Vocabulary;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code --name value} options; every benchmark states its defaults through the getters. */
final class Options {
  private final Map<String, String> values = new LinkedHashMap<>();
  private final Map<String, String> used = new LinkedHashMap<>();

  static Options parse(String[] args, int from) {
    Options o = new Options();
    for (int i = from; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --name value at " + args[i]);
      }
      o.values.put(args[i].substring(2), args[i + 1]);
    }
    return o;
  }

  int integer(String name, int fallback) {
    return Integer.parseInt(text(name, String.valueOf(fallback)));
  }

  double real(String name, double fallback) {
    return Double.parseDouble(text(name, String.valueOf(fallback)));
  }

  String text(String name, String fallback) {
    String value = values.getOrDefault(name, fallback);
    used.put(name, value);
    return value;
  }

  /**
   * A diffusion model from --tokenizer --layers --width --heads --context --block and --cond (the
   * conditioning width of adaLN-Zero; 0 leaves it out), defaults given.
   */
  ModelConfig model(int layers, int width, int heads, int context, int block, int cond) {
    return new ModelConfig(
        Vocabulary.of(text("tokenizer", Vocabulary.DEFAULT.json())).size,
        integer("layers", layers),
        integer("width", width),
        integer("heads", heads),
        4,
        0.0,
        integer("context", context),
        integer("block", block),
        integer("cond", cond),
        false,
        false);
  }

  /** The options as given, for the report. */
  Map<String, String> given() {
    return values;
  }

  /** Every option the benchmark read, with its value (given or default), for the report. */
  String read() {
    StringBuilder line = new StringBuilder();
    used.forEach((k, v) -> line.append(line.length() == 0 ? "" : " ").append("--" + k + " " + v));
    return line.toString();
  }

  void rejectUnused() {
    for (String k : values.keySet()) {
      if (!used.containsKey(k)) {
        System.err.println("warning: option --" + k + " was not used");
      }
    }
  }
}
