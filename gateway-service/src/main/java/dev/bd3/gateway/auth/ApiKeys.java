package dev.bd3.gateway.auth;

import dev.bd3.gateway.runs.Run;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Makes, finds and revokes API keys. A key is {@code bd3_} and 256 random bits (base64url); only
 * its SHA-256 is stored, so a copy of the database holds no usable key.
 */
@ApplicationScoped
public class ApiKeys {
  static final String KEY_PREFIX = "bd3_";
  private static final int KEY_BYTES = 32;
  private static final int SHOWN_PREFIX = 8;

  /** A key's last use is written at most this often (not a write per request). */
  private static final Duration LAST_USED_RESOLUTION = Duration.ofMinutes(1);

  private final SecureRandom random = new SecureRandom();

  /** A key as lists show it: never the key, never its hash. */
  public record KeyView(
      UUID id,
      String name,
      List<String> roles,
      String prefix,
      Instant createdAt,
      String createdBy,
      Instant lastUsedAt,
      Instant revokedAt) {
    static KeyView of(ApiKey k) {
      return new KeyView(
          k.id,
          k.name,
          k.roleSet().stream().map(Role::json).toList(),
          k.prefix,
          k.createdAt,
          k.createdBy,
          k.lastUsedAt,
          k.revokedAt);
    }
  }

  /** A new key: the only time the key itself is shown. */
  public record CreatedKey(KeyView info, String key) {}

  /** Makes a key for {@code name} with {@code roles}. */
  @Transactional
  public CreatedKey create(String name, Set<Role> roles, String createdBy) {
    byte[] bytes = new byte[KEY_BYTES];
    random.nextBytes(bytes);
    String key = KEY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    return new CreatedKey(KeyView.of(store(key, name, roles, createdBy)), key);
  }

  /**
   * Stores a key made elsewhere (the first admin key, from its file) unless its hash is known
   * already; the stored key, or the known one (which may have been revoked).
   */
  @Transactional
  public ApiKey register(String key, String name, Set<Role> roles, String createdBy) {
    return ApiKey.byHash(hash(key)).orElseGet(() -> store(key, name, roles, createdBy));
  }

  private static ApiKey store(String key, String name, Set<Role> roles, String createdBy) {
    ApiKey k = new ApiKey();
    k.id = UUID.randomUUID();
    k.name = name;
    k.roles = ApiKey.roleText(roles);
    k.keyHash = hash(key);
    k.prefix = key.substring(0, Math.min(key.length(), KEY_PREFIX.length() + SHOWN_PREFIX));
    k.createdAt = Run.now();
    k.createdBy = createdBy;
    k.persist();
    return k;
  }

  /** The active key that {@code key} is, if any; notes its use. */
  @Transactional
  public Optional<ApiKey> identify(String key) {
    Optional<ApiKey> found = ApiKey.byHash(hash(key)).filter(ApiKey::active);
    found.ifPresent(
        k -> {
          Instant now = Run.now();
          if (k.lastUsedAt == null || k.lastUsedAt.isBefore(now.minus(LAST_USED_RESOLUTION))) {
            k.lastUsedAt = now;
          }
        });
    return found;
  }

  @Transactional
  public List<KeyView> list() {
    return ApiKey.newestFirst().stream().map(KeyView::of).toList();
  }

  /** Revokes a key (it stays listed, with the time); empty if there is no such key. */
  @Transactional
  public Optional<KeyView> revoke(UUID id) {
    return ApiKey.<ApiKey>findByIdOptional(id)
        .map(
            k -> {
              if (k.revokedAt == null) {
                k.revokedAt = Run.now();
              }
              return KeyView.of(k);
            });
  }

  @Transactional
  public boolean anyActiveAdmin() {
    return ApiKey.anyActiveAdmin();
  }

  /** SHA-256 of the key's UTF-8 bytes, in hex: what is stored. */
  public static String hash(String key) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java has SHA-256", e);
    }
  }
}
