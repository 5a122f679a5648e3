package dev.bd3.gateway.queue;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.health.api.Wellness;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;

/**
 * Kafka as the gateway sees it, in the health details ({@code /q/health}, {@code /q/health/well})
 * and as {@code bd3_kafka_reachable}. Not part of readiness: while the broker is away the gateway
 * still serves the history and accepts jobs into its outbox, so it must stay in its Service.
 */
@Wellness
@ApplicationScoped
public class KafkaCheck implements HealthCheck {
  @Inject KafkaSetup setup;
  @Inject QueueProbe broker;

  private volatile boolean reachable;

  @Inject
  void register(MeterRegistry registry) {
    Gauge.builder("bd3.kafka.reachable", this, c -> c.reachable ? 1 : 0)
        .description("Whether the gateway reached the Kafka broker at its last look (1) or not (0)")
        .register(registry);
  }

  @Scheduled(
      every = "${bd3.gateway.runs.stale-check-every:10s}",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
      skipExecutionIf = Scheduled.ApplicationNotRunning.class)
  void look() {
    reachable = broker.reachable();
  }

  @Override
  public HealthCheckResponse call() {
    return HealthCheckResponse.named("kafka")
        .status(reachable && setup.done())
        .withData("reachable", reachable)
        .withData("topics and job queues set up", setup.done())
        .build();
  }
}
