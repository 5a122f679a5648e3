package dev.bd3.gateway.runs;

import java.time.Instant;

/** One point of {@code GET /api/v1/runs/{id}/metrics}. */
public record MetricPoint(String name, long step, double value, Instant time) {
  public static MetricPoint of(Metric m) {
    return new MetricPoint(m.name, m.step, m.value, m.recordedAt);
  }
}
