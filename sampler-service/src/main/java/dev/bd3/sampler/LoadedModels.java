package dev.bd3.sampler;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.train.Checkpoint;
import dev.bd3.model.train.CheckpointMeta;
import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Models kept loaded between sample jobs, the least recently used let go once their weights pass a
 * memory budget: only the first job of a checkpoint pays for reading it. A checkpoint URI names
 * bytes that never change (the gateway records their sha256), so a model is known by its URI and
 * which of its weights it holds (the moving average or the raw ones). A model in use is never let
 * go; one larger than the budget serves its job and goes.
 */
@ApplicationScoped
public class LoadedModels {
  /** The budget: {@code bd3.sampler.model-cache}, {@code BD3_SAMPLER_MODEL_CACHE}. */
  @ConfigMapping(prefix = "bd3.sampler")
  public interface Settings {
    /** Bytes of weights kept loaded between jobs; 0 keeps none. */
    @WithDefault("1G")
    MemorySize modelCache();
  }

  private record Key(String uri, boolean ema) {}

  /** One loaded model: its own manager, closed when it is let go. */
  private static final class Loaded {
    final Key key;
    final NDManager manager;
    final Bd3Lm model;
    final CheckpointMeta meta;
    final long bytes;
    int users;

    Loaded(Key key, NDManager manager, Bd3Lm model, CheckpointMeta meta) {
      this.key = key;
      this.manager = manager;
      this.model = model;
      this.meta = meta;
      this.bytes = 4L * model.config().parameterCount(); // float32
    }
  }

  /** A model for one job; closing it hands the model back. */
  public final class Lease implements AutoCloseable {
    private final Loaded loaded;
    private final boolean kept;
    private boolean closed;

    private Lease(Loaded loaded, boolean kept) {
      this.loaded = loaded;
      this.kept = kept;
    }

    public Bd3Lm model() {
      return loaded.model;
    }

    public CheckpointMeta meta() {
      return loaded.meta;
    }

    /** Another lease on the same model, for a holder that outlives this one. */
    public Lease share() {
      synchronized (LoadedModels.this) {
        loaded.users++;
      }
      return new Lease(loaded, true);
    }

    /** Whether the model was already loaded (no checkpoint read for this job). */
    public boolean kept() {
      return kept;
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        release(loaded);
      }
    }
  }

  private final long budget;
  private final Map<Key, Loaded> loaded = new LinkedHashMap<>(16, 0.75f, true); // LRU first
  private long held;

  @Inject
  LoadedModels(Settings settings) {
    this(settings.modelCache().asLongValue());
  }

  LoadedModels(long budget) {
    this.budget = budget;
  }

  /**
   * The model of the checkpoint at {@code uri} ({@code file} reads it, when it is not loaded) with
   * its moving-average weights or its raw ones.
   */
  public synchronized Lease acquire(String uri, boolean useEma, Supplier<Path> file) {
    Key key = new Key(uri, useEma);
    Loaded model = loaded.get(key);
    boolean kept = model != null;
    if (!kept) {
      model = load(key, file.get());
      loaded.put(key, model);
      held += model.bytes;
    }
    model.users++;
    return new Lease(model, kept);
  }

  /** Bytes of weights loaded now, in use or kept. */
  synchronized long held() {
    return held;
  }

  private synchronized void release(Loaded model) {
    model.users--;
    Iterator<Loaded> eldestFirst = loaded.values().iterator();
    while (held > budget && eldestFirst.hasNext()) {
      Loaded l = eldestFirst.next();
      if (l.users == 0) {
        eldestFirst.remove();
        held -= l.bytes;
        l.manager.close();
      }
    }
  }

  private static Loaded load(Key key, Path file) {
    NDManager manager = Engine.getInstance().newBaseManager();
    try (NDManager reading = manager.newSubManager()) {
      Checkpoint checkpoint = Checkpoint.read(file, reading); // weights, EMA, optimizer: let go
      return new Loaded(key, manager, checkpoint.model(manager, key.ema()), checkpoint.meta());
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }
}
