package dev.bd3.gateway.queue;

import dev.bd3.gateway.GatewayConfig;
import dev.bd3.kafka.KafkaClients;
import dev.bd3.kafka.KafkaTopology;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.jboss.logging.Logger;

/**
 * Creates the suite's topics and sets the job queues' rules (attempts, lock) at start-up, from
 * {@link dev.bd3.jobs.JobType}: no deployment lists topics. Kafka may be away when the gateway
 * starts (jobs then wait in the outbox): setup is retried in the background until it succeeds.
 */
@ApplicationScoped
public class KafkaSetup {
  private static final Logger LOG = Logger.getLogger(KafkaSetup.class);

  @Inject GatewayConfig config;

  /** The broker's settings (address, SASL/TLS) that every client shares. */
  @Inject
  @Identifier("default-kafka-broker")
  Map<String, Object> broker;

  private volatile boolean stopping;
  private volatile boolean done;

  /**
   * Sets up at once when Kafka is there (the API is not served before), else in the background.
   * Observed before the messaging connectors start (LIBRARY_BEFORE), so that the gateway's own
   * consumers find their topics.
   */
  void start(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent started) {
    if (!trySetUp()) {
      Thread setup = new Thread(this::setUp, "bd3-kafka-setup");
      setup.setDaemon(true);
      setup.start();
    }
  }

  void stop(@Observes ShutdownEvent shutdown) {
    stopping = true;
  }

  /** Whether the topics and queues are in place (the readiness check reports it). */
  public boolean done() {
    return done;
  }

  private void setUp() {
    for (long wait = 1; !stopping && !trySetUp(); wait = Math.min(30, wait * 2)) {
      LOG.warnf("Kafka setup failed; retrying in %d s", wait);
      try {
        Thread.sleep(wait * 1000);
      } catch (InterruptedException interrupted) {
        return;
      }
    }
  }

  private boolean trySetUp() {
    // short timeouts: the first try runs in start-up, which a broker that is away must not hold up
    try (Admin admin =
        Admin.create(
            KafkaClients.config(
                broker, Map.of("request.timeout.ms", "5000", "default.api.timeout.ms", "10000")))) {
      KafkaTopology.ensureTopics(admin, config.topics());
      KafkaTopology.configureQueues(
          admin, config.topics(), config.jobs().attempts(), config.jobs().lockDuration());
      done = true;
      LOG.infof(
          "topics and job queues ready under %s (%d attempts, lock %s)",
          config.topicPrefix(), config.jobs().attempts(), config.jobs().lockDuration());
      return true;
    } catch (RuntimeException e) {
      LOG.warnf("Kafka setup failed: %s", e.getMessage());
      return false;
    }
  }
}
