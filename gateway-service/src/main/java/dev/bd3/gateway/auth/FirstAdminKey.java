package dev.bd3.gateway.auth;

import dev.bd3.gateway.GatewayConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * The first admin key, so that someone can make the others. Its file ({@code
 * bd3.gateway.auth.admin-key-file}) is read at start-up and the key in it registered; where the
 * file is missing, a key is made and written there, readable by its owner only. A deployment may
 * give the file (a Kubernetes Secret); the local suite lets the gateway make it.
 */
@ApplicationScoped
public class FirstAdminKey {
  private static final Logger LOG = Logger.getLogger(FirstAdminKey.class);
  static final String NAME = "admin";
  private static final int MIN_LENGTH = 32;

  @Inject ApiKeys keys;
  @Inject GatewayConfig config;

  void onStart(@Observes StartupEvent event) {
    Optional<Path> file = config.auth().adminKeyFile();
    if (file.isEmpty()) {
      if (!keys.anyActiveAdmin()) {
        LOG.warn(
            "no admin key exists and bd3.gateway.auth.admin-key-file (BD3_GATEWAY_AUTH_ADMIN_KEY_FILE) is not"
                + " set: nobody can make keys");
      }
      return;
    }
    try {
      ensure(file.get());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write the admin key file " + file.get(), e);
    }
  }

  private void ensure(Path file) throws IOException {
    if (Files.exists(file)) {
      String key = keyIn(file, Files.readString(file, StandardCharsets.UTF_8));
      ApiKey registered;
      try {
        registered = keys.register(key, NAME, Set.of(Role.ADMIN), "admin-key-file");
      } catch (RuntimeException e) {
        // another gateway given the same file registered it a moment before: it is known now
        registered = keys.register(key, NAME, Set.of(Role.ADMIN), "admin-key-file");
      }
      if (!registered.active()) {
        LOG.warnf("the admin key in %s was revoked; delete the file for a new one", file);
      }
      return;
    }
    ApiKeys.CreatedKey created = keys.create(NAME, Set.of(Role.ADMIN), "admin-key-file");
    write(file, created.key());
    LOG.infof("first admin key written to %s (readable by its owner only)", file);
  }

  /**
   * The key that {@code text}, read from {@code file}, holds; fails the start where it is not a key
   * anyone could sign in with (the mechanism takes only {@code Bearer bd3_...}, and a bearer token
   * holds no spaces or line breaks), rather than registering a key that never signs in.
   */
  static String keyIn(Path file, String text) {
    String key = text.strip();
    boolean usable =
        key.startsWith(ApiKeys.KEY_PREFIX)
            && key.length() >= MIN_LENGTH
            && key.chars().allMatch(c -> c > ' ' && c < 0x7f);
    if (!usable) {
      throw new IllegalStateException(
          "the admin key file "
              + file
              + " (bd3.gateway.auth.admin-key-file, BD3_GATEWAY_AUTH_ADMIN_KEY_FILE) holds no usable admin key:"
              + " expected one line, "
              + ApiKeys.KEY_PREFIX
              + " and then printable ASCII without spaces, at least "
              + MIN_LENGTH
              + " characters in all (e.g. "
              + ApiKeys.KEY_PREFIX
              + "$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d =)); or delete the file"
              + " for the gateway to make one");
    }
    return key;
  }

  /** Written whole or not at all, never readable by others even for a moment. */
  private static void write(Path file, String key) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    Path temp =
        Files.createTempFile(
            dir,
            ".admin-key",
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(temp, key + "\n", StandardCharsets.UTF_8);
    Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
  }
}
