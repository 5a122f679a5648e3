package dev.bd3.worker;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the worker has joined its type's share group and polls for jobs. */
@Readiness
@ApplicationScoped
public class JobQueueCheck implements HealthCheck {
  @Inject JobQueue queue;

  @Override
  public HealthCheckResponse call() {
    return HealthCheckResponse.named("job queue").status(queue.polling()).build();
  }
}
