package dev.bd3.bench;

import ai.djl.ndarray.NDManager;
import dev.bd3.model.data.Corpus;
import dev.bd3.model.data.Tokenizer;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.spec.ModelPreset;
import dev.bd3.model.train.Checkpoint;
import dev.bd3.model.train.TrainingConfig;
import dev.bd3.model.train.TrainingListener;
import dev.bd3.model.train.TrainingLoop;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The models of the paper's table, one shape with different block sizes: AR (L' = 1), BD3-LM L' =
 * 4, 8, 16 and MDLM (L' = L), each trained on the same number of tokens (the L tokens of each
 * sequence; the clean copy of the vectorised pass is not new data). Checkpoints go to {@code --out}
 * (default bench/target/paper-table)/NAME/seed-N, where the sampling benchmark finds them. A name
 * may carry variants for ablations: {@code -linear} trains on [1e-3, 1] whatever {@code --schedule}
 * says, {@code -noadaln} leaves adaLN-Zero out, {@code -noresample} draws masks without the
 * reference's resampling.
 */
final class Contenders {
  static final String[] NAMES = {"ar", "bd3_4", "bd3_8", "bd3_16", "mdlm"};

  private final Options o;
  final ModelConfig shape;
  final Path out;
  final Corpus corpus;
  final Tokenizer tokenizer;
  final Corpus.Tokens tokens;
  final int batch;

  Contenders(Options options) {
    this.o = options;
    this.shape = options.model(4, 128, 4, 128, 4, ModelPreset.CPU.condDim);
    this.out = Path.of(options.text("out", "bench/target/paper-table"));
    this.corpus = Corpus.named(options.text("corpus", Corpus.EUROPARL));
    this.tokenizer = shape.tokenizer();
    this.tokens = corpus.tokens(tokenizer);
    this.batch = options.integer("batch", 16);
  }

  /** The contenders of {@code --models} (comma-separated, default all), in the table's order. */
  List<String> names() {
    List<String> asked = List.of(o.text("models", String.join(",", NAMES)).split(","));
    for (String name : asked) {
      if (!List.of(NAMES).contains(base(name))) {
        throw new IllegalArgumentException("--models: unknown model " + name);
      }
    }
    return asked;
  }

  /** The model a name with variants ({@code bd3_4-noadaln}) starts from. */
  static String base(String name) {
    int dash = name.indexOf('-');
    return dash < 0 ? name : name.substring(0, dash);
  }

  private static boolean has(String name, String variant) {
    return name.contains("-" + variant);
  }

  static int blockSize(String name, int context) {
    return switch (base(name)) {
      case "ar" -> 1;
      case "mdlm" -> context;
      default -> Integer.parseInt(base(name).substring(4));
    };
  }

  ModelConfig config(String name) {
    ModelConfig c = shape.withBlockSize(blockSize(name, shape.contextLength()));
    return has(name, "noadaln") ? c.withCondDim(0) : c;
  }

  /** Optimiser steps that read {@code tokens} training tokens. */
  int steps(long tokens) {
    return (int) Math.max(1, tokens / ((long) batch * shape.contextLength()));
  }

  long tokens(int steps) {
    return (long) steps * batch * shape.contextLength();
  }

  /**
   * Trains a contender for {@code steps} steps, fresh or from the weights of {@code init} (null:
   * from scratch), with {@code --schedule search} (the data-driven search every {@code
   * --search-every} steps on the EMA weights), {@code paper} (the paper's reported optima) or
   * {@code full} ([1e-3, 1]).
   */
  TrainingLoop.Result train(String name, int seed, int steps, Path init, NDManager m) {
    return train(name, name, seed, steps, init, m);
  }

  /**
   * As {@link #train(String, int, int, Path, NDManager)}, into the folder {@code label} (a base
   * model must not share its folder with the model fine-tuned from it: each run empties its own).
   */
  TrainingLoop.Result train(
      String name, String label, int seed, int steps, Path init, NDManager m) {
    Path dir = emptied(out.resolve(label).resolve("seed-" + seed));
    String schedule = o.text("schedule", "search");
    TrainingConfig config =
        TrainingConfig.quick(steps)
            .batchSize(batch)
            .learningRate(o.real("lr", 1e-3))
            .warmupSteps(o.integer("warmup", 50))
            .checkpointEvery(steps)
            .logEvery(Integer.MAX_VALUE)
            .validationBatches(o.integer("search-batches", 16))
            .schedule(
                schedule.equals("paper") && !has(name, "linear")
                    ? paperInterval(base(name))
                    : ClippedSchedule.FULL)
            .scheduleSearchEvery(
                schedule.equals("search") && !has(name, "linear")
                    ? o.integer("search-every", 100)
                    : 0)
            .resample(!has(name, "noresample"))
            .seed(seed)
            .build();
    TrainingLoop loop =
        new TrainingLoop(config(name), config, corpus, dir, new TrainingListener() {});
    return (init == null ? loop : loop.initialisedFrom(init)).run(m);
  }

  private static Path emptied(Path dir) {
    try {
      if (Files.isDirectory(dir)) {
        try (var files = Files.list(dir)) {
          for (Path f : files.toList()) {
            Files.delete(f);
          }
        }
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The paper's reported optima, where it reports one; else the plain interval. */
  private static ClippedSchedule paperInterval(String name) {
    return switch (name) {
      case "bd3_4" -> new ClippedSchedule(0.45, 0.95);
      case "bd3_16" -> new ClippedSchedule(0.3, 0.8);
      default -> ClippedSchedule.FULL;
    };
  }

  /**
   * Every contender's seed-0 model from {@code --out}, training those missing on {@code tokens}.
   */
  Map<String, Bd3Lm> load(String[] names, long tokens, NDManager m) {
    Map<String, Bd3Lm> models = new LinkedHashMap<>();
    for (String name : names) {
      Path checkpoint = Checkpoint.newest(out.resolve(name).resolve("seed-0")).orElse(null);
      if (checkpoint == null
          || !Checkpoint.read(checkpoint, m).meta().model().equals(config(name))) {
        checkpoint = train(name, 0, steps(tokens), null, m).lastCheckpoint().path();
      }
      models.put(name, Checkpoint.read(checkpoint, m).model(m, true));
    }
    return models;
  }
}
