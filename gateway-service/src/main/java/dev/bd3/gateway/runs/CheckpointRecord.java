package dev.bd3.gateway.runs;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import io.quarkus.panache.common.Sort;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** The record of a checkpoint file that a training run wrote to the artifact store. */
@Entity
@Table(name = "checkpoints")
public class CheckpointRecord extends PanacheEntityBase {
  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  public Long id;

  @Column(name = "run_id")
  public UUID runId;

  public long step;
  public String uri;
  public String sha256;
  public long bytes;

  /** Figures at that step (JSON object of name to number). */
  @JdbcTypeCode(SqlTypes.JSON)
  public String metrics;

  @Column(name = "created_at")
  public Instant createdAt;

  public static List<CheckpointRecord> forRun(UUID runId, int offset, int limit) {
    return find("runId", Sort.by("step"), runId).range(offset, offset + limit - 1).list();
  }

  /** A run's newest {@code limit} checkpoints, by step. */
  public static List<CheckpointRecord> newest(UUID runId, int limit) {
    List<CheckpointRecord> newest =
        new java.util.ArrayList<>(
            find("runId", Sort.descending("step"), runId).range(0, limit - 1).list());
    java.util.Collections.reverse(newest);
    return newest;
  }

  /** The checkpoint at the highest step of a run. */
  public static Optional<CheckpointRecord> newest(UUID runId) {
    return find("runId", Sort.descending("step"), runId).firstResultOptional();
  }

  public static Optional<CheckpointRecord> atStep(UUID runId, long step) {
    return find("runId = ?1 and step = ?2", runId, step).firstResultOptional();
  }

  public static Optional<CheckpointRecord> findByUri(String uri) {
    return find("uri", Sort.descending("createdAt"), uri).firstResultOptional();
  }

  /** Inserts the record, or overwrites the one at that step: a redelivery changes nothing. */
  public static void upsert(
      UUID runId,
      long step,
      String uri,
      String sha256,
      long bytes,
      String metricsJson,
      Instant time) {
    getEntityManager()
        .createNativeQuery(
            "INSERT INTO checkpoints (run_id, step, uri, sha256, bytes, metrics, created_at)"
                + " VALUES (:run, :step, :uri, CAST(:sha AS varchar), :bytes, CAST(:metrics AS jsonb),"
                + " :time)"
                + " ON CONFLICT (run_id, step) DO UPDATE SET uri = excluded.uri,"
                + " sha256 = excluded.sha256, bytes = excluded.bytes, metrics = excluded.metrics")
        .setParameter("run", runId)
        .setParameter("step", step)
        .setParameter("uri", uri)
        .setParameter("sha", sha256)
        .setParameter("bytes", bytes)
        .setParameter("metrics", metricsJson)
        .setParameter("time", Timestamp.from(time))
        .executeUpdate();
  }
}
