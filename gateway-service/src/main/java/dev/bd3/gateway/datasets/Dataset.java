package dev.bd3.gateway.datasets;

import dev.bd3.model.spec.CorpusText;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import io.quarkus.panache.common.Sort;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** The record of an uploaded dataset; its text is in the artifact store under its sha256. */
@Entity
@Table(name = "datasets")
public class Dataset extends PanacheEntityBase {
  @Id public UUID id;

  public String name;
  public String owner;

  /** SHA-256 of the text in hex: a fixed-width char(64) column. */
  @JdbcTypeCode(SqlTypes.CHAR)
  public String sha256;

  public long bytes;
  public long documents;

  @Column(name = "train_tokens")
  public long trainTokens;

  @Column(name = "validation_tokens")
  public long validationTokens;

  @Column(name = "test_tokens")
  public long testTokens;

  @Column(name = "created_at")
  public Instant createdAt;

  /** Tokens in a split. */
  public long tokens(CorpusText.Split split) {
    return switch (split) {
      case TRAIN -> trainTokens;
      case VALIDATION -> validationTokens;
      case TEST -> testTokens;
    };
  }

  public static Optional<Dataset> findByName(String owner, String name) {
    return find("owner = ?1 and name = ?2", owner, name).firstResultOptional();
  }

  /** Bytes of text that {@code owner}'s datasets hold. */
  public static long bytesOf(String owner) {
    return find("select coalesce(sum(d.bytes), 0) from Dataset d where d.owner = ?1", owner)
        .project(Long.class)
        .firstResult();
  }

  /** Newest first; only {@code owner}'s when given. */
  public static List<Dataset> newest(Optional<String> owner, int limit) {
    Sort newest = Sort.descending("createdAt");
    return (owner.isPresent() ? find("owner", newest, owner.get()) : findAll(newest))
        .page(0, limit)
        .list();
  }
}
