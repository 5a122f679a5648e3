package dev.bd3.gateway;

import dev.bd3.gateway.problems.BodySizeLimit;
import dev.bd3.gateway.runs.Quotas;
import dev.bd3.jobs.Topics;
import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** The gateway's own settings ({@code bd3.gateway.*}). */
@ConfigMapping(prefix = "bd3.gateway")
public interface GatewayConfig {
  Outbox outbox();

  Runs runs();

  Jobs jobs();

  Auth auth();

  Quotas quotas();

  Datasets datasets();

  Models models();

  Serving serving();

  /**
   * The artifact store shared with the workers (uploaded datasets go to {@code datasets/}, imported
   * models' checkpoints to {@code runs/<run id>/checkpoints}, as training runs' do).
   */
  Path artifactDir();

  /** The largest JSON request body; larger ones get 413 ({@link BodySizeLimit}). */
  @WithDefault("1M")
  MemorySize maxBodySize();

  /**
   * Namespace of the Kafka topics (see {@link dev.bd3.jobs.Topics}); shared with the workers, so
   * named {@code BD3_TOPIC_PREFIX} and defaulted in application.properties.
   */
  String topicPrefix();

  /** The topics under {@link #topicPrefix()}. */
  default Topics topics() {
    return new Topics(topicPrefix());
  }

  /** How often the run and outbox gauges are read from the database. */
  @WithDefault("5s")
  Duration metricsInterval();

  interface Outbox {
    /** How often the relay looks for unsent messages (besides right after each commit). */
    @WithDefault("1s")
    Duration interval();

    /** Messages read and published per round. */
    @WithDefault("100")
    int batchSize();

    /**
     * How long to wait for the broker's acknowledgement; longer than the producer's delivery
     * timeout.
     */
    @WithDefault("20s")
    Duration ackTimeout();

    /** A relay's claim on the rows it sends; another gateway takes them over after it. */
    @WithDefault("60s")
    Duration claim();

    /** How long sent messages are kept before they are deleted. */
    @WithDefault("7d")
    Duration retention();
  }

  interface Jobs {
    /**
     * Deliveries of a job before it fails for good ("gave up after N attempts"): the share groups'
     * {@code share.delivery.count.limit}, set by the gateway at start-up (2 to 10).
     */
    @WithDefault("3")
    int attempts();

    /**
     * How long a worker holds a job without renewing it ({@code share.record.lock.duration.ms}, 15
     * to 60 s): the longest a dead worker's job waits before another worker takes it.
     */
    @WithDefault("30s")
    Duration lockDuration();

    /** A job's deadline after its submission when it names none ({@code timeoutSeconds}). */
    @WithDefault("24h")
    Duration defaultTimeout();

    /** The latest deadline a job may ask for. */
    @WithDefault("7d")
    Duration maxTimeout();
  }

  interface Runs {
    /** The {@code limit} of {@code GET /api/v1/runs} when it names none. */
    @WithDefault("50")
    int defaultLimit();

    /** The largest {@code limit} of {@code GET /api/v1/runs}. */
    @WithDefault("500")
    int maxLimit();

    /**
     * A RUNNING run not heard from for this long (workers send a heartbeat every third of the lock)
     * has lost its worker: shown as such, cancelled at once, failed when it had its last attempt.
     */
    @WithDefault("90s")
    Duration staleAfter();

    /** How often the gateway looks for runs that lost their worker. */
    @WithDefault("10s")
    Duration staleCheckEvery();

    /** Runs one key may follow live ({@code GET .../events}) at once; more get 429. */
    @WithDefault("8")
    int streamsPerKey();

    /**
     * Events a live stream holds for a slow client: past it the oldest progress, heartbeats and
     * metrics are dropped, and a client too slow even then is let go.
     */
    @WithDefault("1000")
    int streamBuffer();

    /** Default and largest {@code limit} of a run's metric points. */
    @WithDefault("10000")
    int maxMetricPoints();

    /** The {@code limit} of a run's samples and checkpoints when it names none. */
    @WithDefault("100")
    int defaultItems();

    /** The largest {@code limit} of a run's samples and checkpoints. */
    @WithDefault("1000")
    int maxItems();
  }

  interface Datasets {
    /** The largest text a dataset upload may send; Quarkus' own body limit must not be lower. */
    @WithDefault("100M")
    MemorySize maxSize();

    /** Default and largest {@code limit} of {@code GET /api/v1/datasets}. */
    @WithDefault("100")
    int maxLimit();
  }

  interface Models {
    /**
     * The largest {@code model.safetensors} a model import may send; Quarkus' own body limit is set
     * to it, the largest upload (so its default is in application.properties, where that limit
     * reads it).
     */
    MemorySize maxSize();
  }

  interface Serving {
    /**
     * How long a completion request ({@code POST /v1/completions}) may take, queueing included: its
     * sample run's deadline.
     */
    @WithDefault("10m")
    Duration timeout();
  }

  interface Auth {
    /**
     * The first admin key: registered at start-up from this file, or made and written there when
     * the file is missing ({@link dev.bd3.gateway.auth.FirstAdminKey}).
     */
    Optional<Path> adminKeyFile();
  }

  /**
   * What one principal (a key's name) may have under way: more gets 429 with {@code Retry-After}.
   * Admins (operators) are not held to them.
   */
  interface Quotas {
    /** Runs QUEUED or RUNNING at once. */
    @WithDefault("16")
    int concurrentJobs();

    /** Jobs submitted in any hour. */
    @WithDefault("600")
    int jobsPerHour();

    /** Tokens asked of the samplers (samples x length) in any hour. */
    @WithDefault("10000000")
    long sampledTokensPerHour();

    /** Bytes of uploaded datasets one principal may keep. */
    @WithDefault("2G")
    MemorySize datasetBytes();
  }
}
