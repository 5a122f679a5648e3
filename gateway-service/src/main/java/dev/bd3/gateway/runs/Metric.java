package dev.bd3.gateway.runs;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/** One point of a run's named series (loss, learning rate, tokens/s ...). */
@Entity
@Table(name = "metrics")
@IdClass(Metric.Key.class)
public class Metric extends PanacheEntityBase {
  @Id
  @Column(name = "run_id")
  public UUID runId;

  @Id public String name;

  @Id public long step;

  public double value;

  @Column(name = "recorded_at")
  public Instant recordedAt;

  /**
   * A run's points, ordered by name and step: only the series {@code name} when given, only steps
   * after {@code after}, at most {@code maxPoints} a series (evenly spaced by rank, the last point
   * always kept: a chart's outline), at most {@code limit} in all.
   */
  @SuppressWarnings("unchecked")
  public static List<Metric> forRun(UUID runId, String name, long after, int maxPoints, int limit) {
    List<Object[]> rows =
        getEntityManager()
            .createNativeQuery(
                "SELECT name, step, value, recorded_at FROM ("
                    + " SELECT m.*, row_number() OVER (PARTITION BY name ORDER BY step) AS rank,"
                    + "   count(*) OVER (PARTITION BY name) AS points"
                    + " FROM metrics m WHERE run_id = :run AND step > :after"
                    + "   AND (CAST(:name AS text) IS NULL OR name = CAST(:name AS text))) ranked"
                    + " WHERE points <= :most OR rank = points"
                    + "   OR (rank - 1) % CEIL((points - 1) / (:most - 1.0)) = 0"
                    + " ORDER BY name, step LIMIT :limit")
            .setParameter("run", runId)
            .setParameter("name", name == null || name.isBlank() ? null : name)
            .setParameter("after", after)
            .setParameter("most", Math.max(2, maxPoints))
            .setParameter("limit", limit)
            .getResultList();
    return rows.stream()
        .map(
            r -> {
              Metric m = new Metric();
              m.runId = runId;
              m.name = (String) r[0];
              m.step = ((Number) r[1]).longValue();
              m.value = ((Number) r[2]).doubleValue();
              m.recordedAt = toInstant(r[3]);
              return m;
            })
        .toList();
  }

  private static Instant toInstant(Object time) {
    if (time instanceof Instant i) {
      return i;
    }
    if (time instanceof java.time.OffsetDateTime o) {
      return o.toInstant();
    }
    return time instanceof java.sql.Timestamp t ? t.toInstant() : null;
  }

  /** The value at the highest step of each series. */
  public static Map<String, Double> latest(UUID runId) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        getEntityManager()
            .createNativeQuery(
                "SELECT DISTINCT ON (name) name, value FROM metrics WHERE run_id = :run"
                    + " ORDER BY name, step DESC")
            .setParameter("run", runId)
            .getResultList();
    Map<String, Double> latest = new LinkedHashMap<>();
    for (Object[] row : rows) {
      latest.put((String) row[0], ((Number) row[1]).doubleValue());
    }
    return latest;
  }

  /** Inserts the point, or overwrites the value at that step: a redelivery changes nothing. */
  public static void upsert(UUID runId, String name, long step, double value, Instant time) {
    getEntityManager()
        .createNativeQuery(
            "INSERT INTO metrics (run_id, name, step, value, recorded_at)"
                + " VALUES (:run, :name, :step, :value, :time)"
                + " ON CONFLICT (run_id, name, step)"
                + " DO UPDATE SET value = excluded.value, recorded_at = excluded.recorded_at")
        .setParameter("run", runId)
        .setParameter("name", name)
        .setParameter("step", step)
        .setParameter("value", value)
        .setParameter("time", Timestamp.from(time))
        .executeUpdate();
  }

  /** The composite primary key (run, name, step). */
  public static class Key implements Serializable {
    public UUID runId;
    public String name;
    public long step;

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k
          && step == k.step
          && Objects.equals(runId, k.runId)
          && Objects.equals(name, k.name);
    }

    @Override
    public int hashCode() {
      return Objects.hash(runId, name, step);
    }
  }
}
