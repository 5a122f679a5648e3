package dev.bd3.gateway.auth;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import io.quarkus.panache.common.Sort;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A stored API key: its hash, whom it speaks for and with which roles; never the key itself. */
@Entity
@Table(name = "api_keys")
public class ApiKey extends PanacheEntityBase {
  @Id public UUID id;

  /** The principal: owner of the runs the key submits. */
  public String name;

  /** Comma-separated role names ({@link Role#json()}). */
  public String roles;

  /** SHA-256 in hex: a fixed-width char(64) column. */
  @Column(name = "key_hash")
  @JdbcTypeCode(SqlTypes.CHAR)
  public String keyHash;

  public String prefix;

  @Column(name = "created_at")
  public Instant createdAt;

  @Column(name = "created_by")
  public String createdBy;

  @Column(name = "last_used_at")
  public Instant lastUsedAt;

  @Column(name = "revoked_at")
  public Instant revokedAt;

  public Set<Role> roleSet() {
    return Arrays.stream(roles.split(","))
        .map(r -> Role.parse(r).orElseThrow())
        .collect(Collectors.toCollection(() -> EnumSet.noneOf(Role.class)));
  }

  static String roleText(Set<Role> roles) {
    return roles.stream().sorted().map(Role::json).collect(Collectors.joining(","));
  }

  public boolean active() {
    return revokedAt == null;
  }

  static Optional<ApiKey> byHash(String hash) {
    return find("keyHash", hash).firstResultOptional();
  }

  static List<ApiKey> newestFirst() {
    return listAll(Sort.descending("createdAt").and("id"));
  }

  static boolean anyActiveAdmin() {
    return find("revokedAt is null and roles like ?1", "%" + Role.ADMIN.json() + "%").count() > 0;
  }
}
