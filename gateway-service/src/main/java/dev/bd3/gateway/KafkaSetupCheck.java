package dev.bd3.gateway;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the topics exist and the job queues have their rules (attempts, lock). */
@Readiness
@ApplicationScoped
public class KafkaSetupCheck implements HealthCheck {
  @Inject KafkaSetup setup;

  @Override
  public HealthCheckResponse call() {
    return HealthCheckResponse.named("job queues").status(setup.done()).build();
  }
}
