package dev.bd3.worker;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Settings every worker shares ({@code bd3.worker.*}). */
@ConfigMapping(prefix = "bd3.worker")
public interface WorkerConfig {
  /** Name this instance reports in events; defaults to host name and process id. */
  Optional<String> id();

  /**
   * Root of the artifact store: checkpoints live under {@code runs/<run id>/}. Shared with the
   * gateway: {@code BD3_ARTIFACTS}, defaulted in bd3-worker.properties.
   */
  Path artifactDir();

  /**
   * How long a job of a worker that is shutting down has to stop (training saves a checkpoint)
   * before it is cut off and given back to the queue.
   */
  @WithDefault("30s")
  Duration shutdownGrace();

  /**
   * Jobs this worker runs at once, each taken from the queue and acknowledged on its own (one
   * member of the share group per slot). The sampler decodes the jobs of one model in one batch and
   * takes 16 (its application.properties).
   */
  @WithDefault("1")
  int slots();

  /** Checkpoints a training run keeps on disk: the newest this many, and the best. */
  @WithDefault("3")
  int keepCheckpoints();

  /**
   * Where DJL extracts libtorch from the native jar (once): DJL's own {@code DJL_CACHE_DIR},
   * defaulted in bd3-worker.properties.
   */
  Path djlCacheDir();
}
