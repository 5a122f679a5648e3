package dev.bd3.bench;

import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.spec.Vocabulary;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** {@code --name value} options; every benchmark states its defaults through the getters. */
final class Options {
  private final Map<String, String> values = new LinkedHashMap<>();
  private final Set<String> used = new HashSet<>();

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
    used.add(name);
    return values.containsKey(name) ? Integer.parseInt(values.get(name)) : fallback;
  }

  double real(String name, double fallback) {
    used.add(name);
    return values.containsKey(name) ? Double.parseDouble(values.get(name)) : fallback;
  }

  String text(String name, String fallback) {
    used.add(name);
    return values.getOrDefault(name, fallback);
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

  void rejectUnused() {
    for (String k : values.keySet()) {
      if (!used.contains(k)) {
        System.err.println("warning: option --" + k + " was not used");
      }
    }
  }
}
