package dev.bd3.sampler;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.sample.BatchDecoder;
import dev.bd3.model.sample.BlockSampler;
import dev.bd3.model.sample.SamplerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.jboss.logging.Logger;

/**
 * One decode batch per model in use: the sample jobs that run at once on this worker (its slots)
 * and ask for the same model are decoded together, each joining at the next block boundary, on a
 * thread of the batch's own. A batch lives while it has requests; the next request starts a new
 * one.
 */
@ApplicationScoped
public class DecodeBatches {
  private static final Logger LOG = Logger.getLogger(DecodeBatches.class);

  private final Map<Bd3Lm, Batch> batches = new HashMap<>(); // guarded by this
  private final ExecutorService threads =
      Executors.newCachedThreadPool(r -> new Thread(r, "bd3-decode"));

  /**
   * Queues {@code n} samples of {@code model} continuing {@code prompt}; the request completes when
   * they have stopped. Throws at once for a prompt the model cannot continue.
   */
  public synchronized BatchDecoder.Request join(
      Bd3Lm model,
      int n,
      int[] prompt,
      SamplerConfig config,
      BlockSampler.Listener listener,
      BooleanSupplier cancelled) {
    Batch batch = batches.get(model);
    if (batch == null) {
      batch = new Batch(model);
      batches.put(model, batch);
    }
    BatchDecoder.Request request = batch.decoder.join(n, prompt, config, listener, cancelled);
    if (!batch.running) {
      batch.running = true;
      threads.execute(batch);
    }
    return request;
  }

  /** Steps the batch until no request is left, then lets its decoder go. */
  private final class Batch implements Runnable {
    final Bd3Lm model;
    final NDManager manager = Engine.getInstance().newBaseManager();
    final BatchDecoder decoder;
    boolean running; // guarded by DecodeBatches.this

    Batch(Bd3Lm model) {
      this.model = model;
      this.decoder = BatchDecoder.of(model, manager);
    }

    @Override
    public void run() {
      try {
        while (true) {
          decoder.step();
          synchronized (DecodeBatches.this) {
            if (decoder.idle()) { // joins hold the same lock: none is missed
              running = false;
              batches.remove(model);
              break;
            }
          }
        }
      } catch (RuntimeException | Error e) {
        LOG.errorf(e, "the decode batch failed");
        synchronized (DecodeBatches.this) {
          running = false;
          batches.remove(model);
        }
      } finally {
        decoder.close(); // fails whatever request is still in it
        manager.close();
      }
    }
  }
}
