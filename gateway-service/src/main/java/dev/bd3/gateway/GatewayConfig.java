package dev.bd3.gateway;

import dev.bd3.jobs.Topics;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** The gateway's own settings ({@code bd3.gateway.*}). */
@ConfigMapping(prefix = "bd3.gateway")
public interface GatewayConfig {
  Outbox outbox();

  Runs runs();

  Events events();

  /** Namespace of the Kafka topics (see {@link dev.bd3.jobs.Topics}). */
  @WithDefault("bd3")
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
  }

  interface Events {
    /**
     * Tries to apply a readable event whose transaction fails (0.2 s, doubling to 5 s apart) before
     * it goes to the dead-letter topic; 10 tries take about 30 s.
     */
    @WithDefault("10")
    int attempts();
  }

  interface Runs {
    /** Default and largest {@code limit} of {@code GET /api/v1/runs}. */
    @WithDefault("50")
    int defaultLimit();

    @WithDefault("500")
    int maxLimit();
  }
}
