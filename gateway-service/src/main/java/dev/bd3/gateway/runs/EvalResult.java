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
import java.util.UUID;

/** One evaluation figure (perplexity bound, generative perplexity ...) of a checkpoint. */
@Entity
@Table(name = "eval_results")
public class EvalResult extends PanacheEntityBase {
  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  public Long id;

  @Column(name = "run_id")
  public UUID runId;

  @Column(name = "checkpoint_uri")
  public String checkpointUri;

  public String metric;
  public double value;

  @Column(name = "recorded_at")
  public Instant recordedAt;

  public static List<EvalResult> forRun(UUID runId) {
    return list("runId", Sort.by("checkpointUri").and("metric"), runId);
  }

  /** Inserts the figure, or overwrites it: a redelivery changes nothing. */
  public static void upsert(
      UUID runId, String checkpointUri, String metric, double value, Instant time) {
    getEntityManager()
        .createNativeQuery(
            "INSERT INTO eval_results (run_id, checkpoint_uri, metric, value, recorded_at)"
                + " VALUES (:run, :checkpoint, :metric, :value, :time)"
                + " ON CONFLICT (run_id, checkpoint_uri, metric)"
                + " DO UPDATE SET value = excluded.value, recorded_at = excluded.recorded_at")
        .setParameter("run", runId)
        .setParameter("checkpoint", checkpointUri == null ? "" : checkpointUri)
        .setParameter("metric", metric)
        .setParameter("value", value)
        .setParameter("time", Timestamp.from(time))
        .executeUpdate();
  }
}
