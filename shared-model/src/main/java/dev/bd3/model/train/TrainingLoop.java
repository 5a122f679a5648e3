package dev.bd3.model.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.bd3.model.data.Corpus;
import dev.bd3.model.data.Tokenizer;
import dev.bd3.model.data.Windows;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.diffusion.Nelbo;
import dev.bd3.model.diffusion.NoisedBatch;
import dev.bd3.model.diffusion.ScheduleSearch;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.ModelConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a BD3-LM: AdamW with warm-up and gradient clipping, an EMA of the weights, checkpoints
 * every N steps, and exact resume. All randomness of step s (data, noise levels, masks, dropout)
 * derives from (seed, s), so a run resumed from the checkpoint of step s continues with the same
 * losses as one never stopped.
 */
public final class TrainingLoop {
  private static final Logger LOG = LoggerFactory.getLogger(TrainingLoop.class);

  private final ModelConfig modelConfig;
  private final TrainingConfig config;
  private final Corpus corpus;
  private final Tokenizer tokenizer;
  private final Corpus.Tokens tokens;
  private final Path checkpointDir;
  private final TrainingListener listener;
  private Path initFrom;

  public TrainingLoop(
      ModelConfig modelConfig,
      TrainingConfig config,
      Corpus corpus,
      Path checkpointDir,
      TrainingListener listener) {
    this.modelConfig = modelConfig;
    this.config = config;
    this.corpus = corpus;
    this.tokenizer = modelConfig.tokenizer();
    this.tokens = corpus.tokens(tokenizer);
    this.checkpointDir = checkpointDir;
    this.listener = listener;
  }

  /** Starts a fresh run from another checkpoint's weights (e.g. MDLM pre-training). */
  public TrainingLoop initialisedFrom(Path checkpoint) {
    this.initFrom = checkpoint;
    return this;
  }

  /** How a run ended. */
  public record Result(
      long step,
      boolean cancelled,
      boolean resumed,
      List<Double> losses,
      Checkpoint.Written lastCheckpoint,
      ClippedSchedule schedule) {}

  public Result run(NDManager parent) {
    try (NDManager m = parent.newSubManager();
        State s = new State(m)) {
      boolean resumed = s.resume();
      List<Double> losses = new ArrayList<>();
      List<long[]> validation = validationBatches();
      Checkpoint.Written last = null;
      long started = System.nanoTime();
      long firstStep = s.step + 1;
      for (long step = firstStep; step <= config.steps(); step++) {
        if (listener.cancelled()) {
          last = s.step > 0 && (last == null || last.step() != s.step) ? s.save(validation) : last;
          return new Result(s.step, true, resumed, losses, last, s.schedule);
        }
        double loss = s.trainStep(step);
        losses.add(loss);
        if (config.scheduleSearchEvery() > 0 && step % config.scheduleSearchEvery() == 0) {
          s.searchSchedule(validation, step);
        }
        if (step % config.logEvery() == 0 || step == config.steps()) {
          double secondsPerStep = (System.nanoTime() - started) / 1e9 / (step - firstStep + 1);
          listener.onMetric("loss", step, loss);
          listener.onMetric("lr", step, config.learningRateAt(step - 1));
          listener.onMetric("grad_norm", step, s.trainer.gradNorm());
          listener.onMetric(
              "tokens_per_s",
              step,
              config.batchSize() * modelConfig.contextLength() / secondsPerStep);
          listener.onProgress(step, config.steps(), secondsPerStep);
        }
        if (step % config.checkpointEvery() == 0 || step == config.steps()) {
          last = s.save(validation);
        }
      }
      return new Result(s.step, false, resumed, losses, last, s.schedule);
    }
  }

  private List<long[]> validationBatches() {
    SplittableRandom random = new SplittableRandom(config.seed() ^ 0x5EED);
    List<long[]> batches = new ArrayList<>();
    for (int i = 0; i < config.validationBatches(); i++) {
      batches.add(
          Windows.random(
              tokens.validation(),
              tokenizer.bos(),
              config.batchSize(),
              modelConfig.contextLength(),
              random));
    }
    return batches;
  }

  /** Random stream of step s: independent of every other step and of how the run got there. */
  public static SplittableRandom randomFor(long seed, long step) {
    return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step);
  }

  /** The model, optimiser and EMA of one run, and where it stands. */
  private final class State implements AutoCloseable {
    final NDManager manager;
    final TrainingStep trainer;
    final Bd3Lm model;
    final List<Parameter> parameters;
    final AdamW optimizer;
    final Ema ema;
    long step;
    ClippedSchedule schedule;

    State(NDManager manager) {
      this.manager = manager;
      this.trainer =
          new TrainingStep(Bd3Lm.create(modelConfig, manager, config.seed()), config, manager);
      this.model = trainer.model();
      this.parameters = trainer.parameters();
      this.optimizer = trainer.optimizer();
      this.ema = trainer.ema();
      this.schedule =
          modelConfig.isAutoregressive() ? ClippedSchedule.ALL_MASKED : config.schedule();
    }

    /**
     * Continues from the newest readable checkpoint of the run. One that cannot be read (a crash
     * while it was written) is skipped for the one before it; failing for good there would send
     * every redelivery of the job to the dead-letter topic.
     */
    boolean resume() {
      List<Path> checkpoints = new ArrayList<>(Checkpoint.all(checkpointDir));
      Collections.reverse(checkpoints);
      for (Path file : checkpoints) {
        try (NDManager m = manager.newSubManager()) {
          Checkpoint c;
          try {
            c = Checkpoint.read(file, m);
          } catch (RuntimeException e) {
            LOG.warn("skipping unreadable checkpoint {}: {}", file, e.getMessage());
            continue;
          }
          if (!c.meta().model().equals(modelConfig)) {
            throw new IllegalStateException(
                "checkpoint " + file + " holds another model: " + c.meta().model());
          }
          Checkpoint.copyInto(parameters, c.weights());
          ema.restore(c.ema(), c.meta().emaUpdates());
          optimizer.restore(c.optimizer(), c.meta().optimizerUpdates());
          step = c.meta().step();
          schedule = c.meta().schedule();
        }
        LOG.info("resumed from {} at step {}", file, step);
        return true;
      }
      if (initFrom != null) {
        try (NDManager m = manager.newSubManager()) {
          Checkpoint c = Checkpoint.read(initFrom, m);
          Checkpoint.copyInto(parameters, c.ema());
          ema.restore(c.ema(), 0);
        }
        LOG.info("initialised from {}", initFrom);
      }
      return false;
    }

    double trainStep(long s) {
      SplittableRandom random = randomFor(config.seed(), s);
      Engine.getInstance().setRandomSeed((int) random.nextLong()); // dropout
      int b = config.batchSize();
      int l = modelConfig.contextLength();
      long[] x0 = Windows.random(tokens.train(), tokenizer.bos(), b, l, random);
      NoisedBatch batch =
          NoisedBatch.noise(x0, b, modelConfig, schedule, config.resample(), random);
      double loss = trainer.run(batch, s);
      step = s;
      return loss;
    }

    /** The reference's search: on the EMA weights (those evaluated), over every held-out batch. */
    void searchSchedule(List<long[]> validation, long s) {
      if (modelConfig.isAutoregressive()) {
        return;
      }
      List<ClippedSchedule> grid = ClippedSchedule.referenceGrid();
      double[] variances;
      try (NDManager m = manager.newSubManager()) {
        NDList raw = ema.swapIn(m);
        try {
          variances =
              ScheduleSearch.variances(
                  model, validation, config.batchSize(), grid, config.seed(), m);
        } finally {
          ema.swapOut(raw);
        }
      }
      ClippedSchedule chosen = ScheduleSearch.best(grid, variances);
      if (!chosen.equals(schedule)) {
        LOG.info("step {}: noise interval {} -> {}", s, schedule, chosen);
      }
      schedule = chosen;
      listener.onMetric("schedule_low", s, chosen.low());
      listener.onMetric("schedule_high", s, chosen.high());
    }

    /** Validation NELBO of the EMA weights (plain [1e-3, 1] schedule), then a checkpoint. */
    Checkpoint.Written save(List<long[]> validation) {
      Map<String, Double> metrics = new LinkedHashMap<>();
      double nelbo = validationNelbo(validation);
      metrics.put("val_nelbo", nelbo);
      metrics.put("val_ppl", Math.exp(nelbo));
      listener.onMetric("val_nelbo", step, nelbo);
      listener.onMetric("val_ppl", step, Math.exp(nelbo));
      CheckpointMeta meta =
          new CheckpointMeta(
              CheckpointMeta.FORMAT,
              step,
              modelConfig,
              schedule,
              config.seed(),
              optimizer.updates(),
              ema.updates(),
              corpus.name(),
              corpus.sha256(),
              metrics);
      NDList weights = new NDList();
      parameters.forEach(p -> weights.add(p.getArray()));
      listener.beforeCheckpoint(step);
      Checkpoint.Written written =
          Checkpoint.save(checkpointDir, meta, weights, ema.state(), optimizer.state());
      listener.onCheckpoint(written, metrics);
      return written;
    }

    double validationNelbo(List<long[]> validation) {
      ClippedSchedule evalSchedule =
          modelConfig.isAutoregressive() ? ClippedSchedule.ALL_MASKED : ClippedSchedule.FULL;
      SplittableRandom random = new SplittableRandom(config.seed() ^ 0xE7A1);
      double sum = 0;
      long tokens = 0;
      try (NDManager m = manager.newSubManager()) {
        NDList raw = ema.swapIn(m);
        try {
          for (long[] x0 : validation) {
            NoisedBatch batch =
                NoisedBatch.noise(x0, config.batchSize(), modelConfig, evalSchedule, false, random);
            try (NDManager step = m.newSubManager()) {
              sum += Nelbo.tokenTerms(model, batch, step, false).sum().getFloat();
            }
            tokens += batch.scoredTokens();
          }
        } finally {
          ema.swapOut(raw);
        }
      }
      return sum / tokens;
    }

    @Override
    public void close() {
      trainer.close();
    }
  }
}
