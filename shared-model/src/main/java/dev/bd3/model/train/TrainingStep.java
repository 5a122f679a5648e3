package dev.bd3.model.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import dev.bd3.model.diffusion.Nelbo;
import dev.bd3.model.diffusion.NoisedBatch;
import dev.bd3.model.nn.Bd3Lm;
import java.util.List;

/**
 * One optimisation step: the vectorised NELBO of a noised batch, its gradients, an AdamW update
 * with clipping and an EMA update. Everything temporary lives in a per-step manager.
 */
public final class TrainingStep implements AutoCloseable {
  private final Bd3Lm model;
  private final TrainingConfig config;
  private final NDManager manager;
  private final List<Parameter> parameters;
  private final AdamW optimizer;
  private final Ema ema;
  private double gradNorm;

  public TrainingStep(Bd3Lm model, TrainingConfig config, NDManager manager) {
    this.model = model;
    this.config = config;
    this.manager = manager;
    this.parameters = model.parameterList();
    this.optimizer = new AdamW(parameters, manager);
    this.ema = new Ema(parameters, config.emaDecay(), manager);
  }

  /** Trains on one batch at step {@code step} (1-based); returns the loss (NELBO per token). */
  public double run(NoisedBatch batch, long step) {
    double loss;
    try (NDManager stepManager = manager.newSubManager()) {
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray terms = Nelbo.tokenTerms(model, batch, stepManager, true);
        NDArray total = terms.sum().div(stepManager.create((float) batch.scoredTokens()));
        collector.backward(total);
        loss = total.getFloat();
      }
      gradNorm = optimizer.step(config, config.learningRateAt(step - 1), stepManager);
    }
    ema.update();
    if (!Double.isFinite(loss)) {
      throw new IllegalStateException("loss is " + loss + " at step " + step);
    }
    return loss;
  }

  public Bd3Lm model() {
    return model;
  }

  public List<Parameter> parameters() {
    return parameters;
  }

  public AdamW optimizer() {
    return optimizer;
  }

  public Ema ema() {
    return ema;
  }

  /** Gradient norm of the last step, before clipping. */
  public double gradNorm() {
    return gradNorm;
  }

  @Override
  public void close() {
    optimizer.close();
    ema.close();
  }
}
