package dev.bd3.gateway;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import io.quarkus.panache.common.Sort;
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

  /** A run's points, ordered by name and step; only the series {@code name} when given. */
  public static List<Metric> forRun(UUID runId, String name) {
    Sort order = Sort.by("name").and("step");
    return name == null || name.isBlank()
        ? list("runId", order, runId)
        : list("runId = ?1 and name = ?2", order, runId, name);
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
