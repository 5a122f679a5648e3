package dev.bd3.sampler;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.IntraOpThreads;
import dev.bd3.model.sample.BatchDecoder;
import dev.bd3.model.sample.BlockSampler;
import dev.bd3.model.sample.SamplerConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.jboss.logging.Logger;

/**
 * One decode batch per model in use: the sample jobs that run at once on this worker (its slots)
 * and ask for the same model are decoded together, each joining at the next block boundary, on a
 * thread of the batch's own. A batch that runs out of requests lingers a while for the next one,
 * holding the model (a lease of its own), so that a model's compiled forward and its warm-up
 * outlast a single request; then it lets the model go.
 */
@ApplicationScoped
public class DecodeBatches {
  private static final Logger LOG = Logger.getLogger(DecodeBatches.class);
  private static final Duration LINGER = Duration.ofSeconds(30);

  private final Map<Bd3Lm, Batch> batches = new HashMap<>(); // guarded by this
  private final ExecutorService threads =
      Executors.newCachedThreadPool(r -> new Thread(r, "bd3-decode"));

  /**
   * Queues {@code n} samples of the leased model continuing {@code prompt}; the request completes
   * when they have stopped. Throws at once for a prompt the model cannot continue.
   */
  public synchronized BatchDecoder.Request join(
      LoadedModels.Lease model,
      int n,
      int[] prompt,
      SamplerConfig config,
      BlockSampler.Listener listener,
      BooleanSupplier cancelled) {
    Batch batch = batches.get(model.model());
    if (batch == null) {
      batch = new Batch(model.share());
      batches.put(model.model(), batch);
      threads.execute(batch);
    }
    BatchDecoder.Request request = batch.decoder.join(n, prompt, config, listener, cancelled);
    notifyAll(); // a lingering batch takes it up
    return request;
  }

  @PreDestroy
  void stop() {
    threads.shutdownNow();
  }

  /** Steps the batch while it has requests, lingers, then lets its decoder and model go. */
  private final class Batch implements Runnable {
    final LoadedModels.Lease model;
    final NDManager manager = Engine.getInstance().newBaseManager();
    final BatchDecoder decoder;

    Batch(LoadedModels.Lease model) {
      this.model = model;
      this.decoder = BatchDecoder.of(model.model(), manager);
    }

    @Override
    public void run() {
      try (IntraOpThreads threads = IntraOpThreads.limit(1)) { // small passes: see BatchDecoder
        while (decoder.step() || lingered()) {
          // one block of every request per step
        }
      } catch (RuntimeException | Error e) {
        LOG.errorf(e, "the decode batch failed");
      } finally {
        synchronized (DecodeBatches.this) {
          batches.remove(model.model());
        }
        decoder.close(); // fails whatever request is still in it
        manager.close();
        model.close();
      }
    }

    /** Waits up to LINGER for a request; false (and out of the map) when none came. */
    private boolean lingered() {
      synchronized (DecodeBatches.this) {
        long until = System.nanoTime() + LINGER.toNanos();
        try {
          while (decoder.idle() && System.nanoTime() < until) {
            DecodeBatches.this.wait(Math.max(1, (until - System.nanoTime()) / 1_000_000));
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        if (decoder.idle()) {
          batches.remove(model.model()); // joins hold the same lock: none is missed
          return false;
        }
        return true;
      }
    }
  }
}
