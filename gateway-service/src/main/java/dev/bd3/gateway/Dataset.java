package dev.bd3.gateway;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Optional;

/** A corpus that trainers read: where it lives and its checksum. */
@Entity
@Table(name = "datasets")
public class Dataset extends PanacheEntityBase {
  @Id public String name;
  public String sha256;
  public long bytes;
  public String uri;

  @Column(name = "created_at")
  public Instant createdAt;

  public static Optional<Dataset> findByName(String name) {
    return findByIdOptional(name);
  }
}
