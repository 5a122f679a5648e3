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

/** A finished sample of a generation (or evaluation) run. */
@Entity
@Table(name = "samples")
public class Sample extends PanacheEntityBase {
  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  public Long id;

  @Column(name = "run_id")
  public UUID runId;

  /** The sample's index within its run. */
  public int idx;

  public String text;
  public int tokens;
  public int nfe;

  @Column(name = "stop_reason")
  public String stopReason;

  public double entropy;

  @Column(name = "created_at")
  public Instant createdAt;

  public static List<Sample> forRun(UUID runId, int offset, int limit) {
    return find("runId", Sort.by("idx"), runId).range(offset, offset + limit - 1).list();
  }

  /** Inserts the sample, or overwrites the one with that index: a redelivery changes nothing. */
  /**
   * The text as PostgreSQL can store it: a byte model may generate NUL, which a text column
   * refuses; it is kept as U+FFFD, like any byte that is no valid UTF-8.
   */
  static String storable(String text) {
    return text == null ? null : text.replace('\u0000', '\uFFFD');
  }

  public static void upsert(
      UUID runId,
      int index,
      String text,
      int tokens,
      int nfe,
      String stopReason,
      double entropy,
      Instant time) {
    getEntityManager()
        .createNativeQuery(
            "INSERT INTO samples (run_id, idx, text, tokens, nfe, stop_reason, entropy, created_at)"
                + " VALUES (:run, :idx, :text, :tokens, :nfe, CAST(:stop AS varchar), :entropy,"
                + " :time)"
                + " ON CONFLICT (run_id, idx) DO UPDATE SET text = excluded.text,"
                + " tokens = excluded.tokens, nfe = excluded.nfe,"
                + " stop_reason = excluded.stop_reason, entropy = excluded.entropy")
        .setParameter("run", runId)
        .setParameter("idx", index)
        .setParameter("text", text == null ? "" : storable(text))
        .setParameter("tokens", tokens)
        .setParameter("nfe", nfe)
        .setParameter("stop", stopReason)
        .setParameter("entropy", entropy)
        .setParameter("time", Timestamp.from(time))
        .executeUpdate();
  }
}
