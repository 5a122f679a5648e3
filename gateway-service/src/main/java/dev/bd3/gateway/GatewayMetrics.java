package dev.bd3.gateway;

import dev.bd3.gateway.queue.OutboxMessage;
import dev.bd3.gateway.runs.Run;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.RunStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * The gateway's own meters: {@code bd3_runs_submitted_total{type}}, {@code bd3_runs{status}},
 * {@code bd3_jobs_open{type}} (queued or running: what deploy/k8s scales each worker pool on) and
 * {@code bd3_outbox_backlog}. The gauges read a snapshot refreshed from the database every few
 * seconds, so that a scrape never waits for a query.
 */
@Startup
@ApplicationScoped
public class GatewayMetrics {
  private static final Logger LOG = Logger.getLogger(GatewayMetrics.class);

  private final MeterRegistry registry;
  private final Map<RunStatus, AtomicLong> runs = new EnumMap<>(RunStatus.class);
  private final Map<JobType, Counter> submitted = new EnumMap<>(JobType.class);
  private final Map<JobType, AtomicLong> open = new EnumMap<>(JobType.class);
  private final AtomicLong outboxBacklog = new AtomicLong();

  @Inject
  public GatewayMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (RunStatus status : RunStatus.values()) {
      runs.put(status, gauge("bd3.runs", "Runs in each status", "status", status.name()));
    }
    for (JobType type : JobType.values()) {
      submitted.put(
          type,
          Counter.builder("bd3.runs.submitted")
              .description("Runs submitted")
              .tag("type", type.json())
              .register(registry));
      open.put(
          type,
          gauge(
              "bd3.jobs.open",
              "Jobs queued or running, per type: the work of each worker pool",
              "type",
              type.json()));
    }
    Gauge.builder("bd3.outbox.backlog", outboxBacklog, AtomicLong::get)
        .description("Outbox messages not yet acknowledged by Kafka")
        .register(registry);
  }

  private AtomicLong gauge(String name, String description, String tag, String value) {
    AtomicLong count = new AtomicLong();
    Gauge.builder(name, count, AtomicLong::get)
        .description(description)
        .tag(tag, value)
        .register(registry);
    return count;
  }

  public void submitted(JobType type) {
    submitted.get(type).increment();
  }

  @Scheduled(
      every = "${bd3.gateway.metrics-interval:5s}",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
      skipExecutionIf = Scheduled.ApplicationNotRunning.class)
  void refresh() {
    try {
      Run.countByStatus().forEach((status, count) -> runs.get(status).set(count));
      Run.countOpenByType().forEach((type, count) -> open.get(type).set(count));
      outboxBacklog.set(OutboxMessage.backlog());
    } catch (RuntimeException e) {
      LOG.debugf("metrics not refreshed: %s", e.getMessage());
    }
  }
}
