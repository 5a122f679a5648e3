package dev.bd3.bench;

import ai.djl.ndarray.NDManager;
import dev.bd3.model.data.Corpus;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.train.Checkpoint;
import dev.bd3.model.train.TrainingConfig;
import dev.bd3.model.train.TrainingListener;
import dev.bd3.model.train.TrainingLoop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The models of the paper's table, one shape with different block sizes: AR (L' = 1), BD3-LM L' =
 * 4, 8, 16 and MDLM (L' = L), each trained for the same wall-clock budget. Checkpoints go to {@code
 * --out} (default bench/target/paper-table), where the sampling benchmark finds them.
 */
final class Contenders {
  static final String[] NAMES = {"ar", "bd3_4", "bd3_8", "bd3_16", "mdlm"};

  private final Options o;
  private final Report r;
  final ModelConfig shape;
  final Path out;
  final Corpus corpus;

  Contenders(Options options, Report report) {
    this.o = options;
    this.r = report;
    this.shape = options.model(4, 128, 4, 128, 4);
    this.out = Path.of(options.text("out", "bench/target/paper-table"));
    String corpusName = options.text("corpus", Corpus.EUROPARL);
    this.corpus = Corpus.named(corpusName);
  }

  static int blockSize(String name, int context) {
    return switch (name) {
      case "ar" -> 1;
      case "mdlm" -> context;
      default -> Integer.parseInt(name.substring(4));
    };
  }

  ModelConfig config(String name) {
    return shape.withBlockSize(blockSize(name, shape.contextLength()));
  }

  /** Trains one contender for {@code minutes} (fresh), returns its final checkpoint. */
  Path train(String name, double minutes, NDManager m) throws Exception {
    Path dir = out.resolve(name);
    if (Files.isDirectory(dir)) {
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.delete(f);
        }
      }
    }
    long deadline = System.nanoTime() + (long) (minutes * 60e9);
    int[] steps = {0};
    TrainingListener budget =
        new TrainingListener() {
          @Override
          public void onProgress(long step, long total, double secondsPerStep) {
            steps[0] = (int) step;
          }

          @Override
          public boolean cancelled() {
            return System.nanoTime() > deadline;
          }
        };
    String schedule = o.text("schedule", "search");
    TrainingConfig config =
        TrainingConfig.quick(10_000_000)
            .batchSize(o.integer("batch", 16))
            .learningRate(o.real("lr", 1e-3))
            .warmupSteps(o.integer("warmup", 50))
            .checkpointEvery(Integer.MAX_VALUE)
            .logEvery(1)
            .validationBatches(1)
            .schedule(schedule.equals("paper") ? paperInterval(name) : ClippedSchedule.FULL)
            .scheduleSearchEvery(schedule.equals("search") ? o.integer("search-every", 200) : 0)
            .seed(o.integer("seed", 0))
            .build();
    TrainingLoop.Result result = new TrainingLoop(config(name), config, corpus, dir, budget).run(m);
    r.line(
        "  %-7s L' = %-4d %6d steps in %.1f min, noise interval %s",
        name, config(name).blockSize(), result.step(), minutes, result.schedule());
    return result.lastCheckpoint().path();
  }

  /** The paper's reported optima, where it reports one; else the plain interval. */
  private static ClippedSchedule paperInterval(String name) {
    return switch (name) {
      case "bd3_4" -> new ClippedSchedule(0.45, 0.95);
      case "bd3_16" -> new ClippedSchedule(0.3, 0.8);
      default -> ClippedSchedule.FULL;
    };
  }

  /** Every contender's model, from {@code --out}, training those missing for {@code minutes}. */
  Map<String, Bd3Lm> load(String[] names, double minutes, NDManager m) throws Exception {
    Map<String, Bd3Lm> models = new LinkedHashMap<>();
    for (String name : names) {
      Path checkpoint = Checkpoint.newest(out.resolve(name)).orElse(null);
      if (checkpoint == null
          || !Checkpoint.read(checkpoint, m).meta().model().equals(config(name))) {
        checkpoint = train(name, minutes, m);
      }
      models.put(name, Checkpoint.read(checkpoint, m).model(m, true));
    }
    return models;
  }
}
