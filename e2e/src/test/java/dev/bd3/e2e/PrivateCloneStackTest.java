package dev.bd3.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.jobs.Topics;
import dev.bd3.kafka.KafkaTopology;
import dev.bd3.testsupport.LocalStack;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The local stack started from a clone that only its owner may enter, as root's home is ({@code
 * drwx------}), under a path with a space: PostgreSQL, which runs as another user when we are root,
 * must still reach its binaries, data and log. The same test checks what stop does with a pid file
 * that has gone stale, that durability is on unless a throw-away cluster turns it off, and that a
 * cluster that outlived its passwords gets new ones.
 */
class PrivateCloneStackTest {
  private final Path root = LocalStack.root();
  private final List<Process> strangers = new ArrayList<>();
  private Path home;
  private Path clone;
  private Map<String, String> env;

  @AfterEach
  void wipe() throws Exception {
    if (clone != null) {
      stack("wipe");
    }
    strangers.forEach(Process::destroyForcibly);
    if (home != null) {
      try (Stream<Path> files = Files.walk(home)) {
        files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  void stackRunsFromACloneOnlyItsOwnerMayEnter() throws Exception {
    LocalStack.start(root); // the stack's artifacts are fetched (and the shared stack runs)
    home = Files.createTempDirectory("bd3-home", PosixFilePermissions.asFileAttribute(owner()));
    clone = home.resolve("my clone");
    copyStack();
    env = new HashMap<>();
    env.put("BD3_KAFKA_PORT", String.valueOf(freePort()));
    env.put("BD3_KAFKA_CONTROLLER_PORT", String.valueOf(freePort()));
    env.put("BD3_PG_PORT", String.valueOf(freePort()));
    env.put("BD3_S3_PORT", String.valueOf(freePort()));
    env.put("BD3_PG_DURABLE", "0"); // a throw-away cluster

    assertEquals(0, stack("start").exit(), "stack start");
    assertEquals(0, stack("status").exit(), "status: all three run");

    Map<String, String> vars = LocalStack.parseEnv(stack("env").output());
    assertEquals(clone.resolve(".bd3").toString(), vars.get("BD3_HOME"), "a path with a space");
    String url = vars.get("BD3_DB_URL");
    assertEquals("off", setting(url + "_test", vars, "fsync"), "durability off when asked");
    Map<String, String> shared = LocalStack.start(root);
    assertEquals(
        "on",
        setting(shared.get("BD3_DB_URL") + "_test", shared, "fsync"),
        "the shared stack is durable");
    assertEquals(
        "off",
        query(url, vars, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"),
        "the suite's user is no superuser");
    // Grafana's read-only login: a password of its own, kept as bd3's is, in bd3_reader, no more
    Path readerSecret = clone.resolve(".bd3/secrets/postgres-bd3_grafana");
    assertEquals(
        "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(readerSecret)));
    Map<String, String> reader =
        Map.of(
            "BD3_DB_USER",
            "bd3_grafana",
            "BD3_DB_PASSWORD",
            Files.readString(readerSecret).strip());
    assertEquals(
        "off",
        query(
            url,
            reader,
            "SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles"
                + " WHERE rolname = current_user"),
        "the reader's login may only log in");
    assertEquals(
        "on", query(url, reader, "SELECT pg_has_role('bd3_reader', 'USAGE')"), "in bd3_reader");
    Map<String, String> wrong = new HashMap<>(vars);
    wrong.put("BD3_DB_PASSWORD", "bd3");
    assertThrows(
        java.sql.SQLException.class, () -> query(url, wrong, "SELECT 1"), "a password is asked");
    Path secret = clone.resolve(".bd3/secrets/postgres-bd3");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)));
    assertEquals(Files.readString(secret).strip(), vars.get("BD3_DB_PASSWORD"));
    try (Admin admin =
        Admin.create(Map.of("bootstrap.servers", vars.get("KAFKA_BOOTSTRAP_SERVERS")))) {
      KafkaTopology.ensureTopics(admin, new Topics("private"));
      Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      assertTrue(topics.contains("private.jobs.train"), "the broker serves: " + topics);
    }

    // a new clone at the same path: root's cluster outlives the clone, its passwords do not
    try (Stream<Path> secrets = Files.list(secret.getParent())) {
      secrets.forEach(f -> f.toFile().delete());
    }
    assertEquals(0, stack("start").exit(), "start without the passwords");
    Map<String, String> renewed = LocalStack.parseEnv(stack("env").output());
    assertTrue(
        !renewed.get("BD3_DB_PASSWORD").isEmpty()
            && !renewed.get("BD3_DB_PASSWORD").equals(vars.get("BD3_DB_PASSWORD")),
        "a new password");
    assertEquals("1", query(url, renewed, "SELECT 1"), "the new password lets the suite in");
    Map<String, String> renewedReader =
        Map.of(
            "BD3_DB_USER",
            "bd3_grafana",
            "BD3_DB_PASSWORD",
            Files.readString(readerSecret).strip());
    assertTrue(
        !renewedReader.get("BD3_DB_PASSWORD").equals(reader.get("BD3_DB_PASSWORD")),
        "a new password for the reader's login too");
    assertEquals("1", query(url, renewedReader, "SELECT 1"), "and it lets the reader in");
    assertThrows(
        java.sql.SQLException.class, () -> query(url, vars, "SELECT 1"), "the old one is gone");

    // stop twice: the second finds nothing to stop and is no error
    assertEquals(0, stack("stop").exit(), "stop");
    assertEquals(0, stack("stop").exit(), "stop again");
    assertEquals(1, stack("status").exit(), "status after stop");
  }

  /** A pid file left from before a reboot may name another process now: stop leaves it alone. */
  @Test
  void stopLeavesAStrangerWithAStalePidAlone() throws Exception {
    LocalStack.start(root);
    home = Files.createTempDirectory("bd3-home", PosixFilePermissions.asFileAttribute(owner()));
    clone = home.resolve("clone");
    copyStack();
    env = Map.of("BD3_PG_PORT", String.valueOf(freePort()));
    Process stranger = new ProcessBuilder("sleep", "600").start();
    strangers.add(stranger);
    Path kafkaPid = clone.resolve(".bd3/kafka/kafka.pid");
    Files.createDirectories(kafkaPid.getParent());
    Files.writeString(kafkaPid, stranger.pid() + "\n");
    Path gatewayPid = clone.resolve(".bd3/suite/gateway.pid");
    Files.createDirectories(gatewayPid.getParent());
    Files.writeString(gatewayPid, stranger.pid() + "\n");

    Result stop = run("suite", "stop");
    assertEquals(0, stop.exit(), stop.output());
    assertTrue(stranger.isAlive(), "the process that now has the old pids still runs");
    assertEquals(1, stack("status").exit(), "nothing of ours runs");
  }

  /** The clone: the stack's scripts and configuration, and the artifacts the build fetched. */
  private void copyStack() throws IOException {
    Path from = root.resolve("deploy/local");
    Path to = clone.resolve("deploy/local");
    Files.createDirectories(to);
    Files.copy(root.resolve("pom.xml"), clone.resolve("pom.xml"));
    for (String file : List.of("stack", "suite", "lib.sh", "UnpackTxz.java", "pom.xml")) {
      Files.copy(from.resolve(file), to.resolve(file));
    }
    Files.createDirectories(to.resolve("config"));
    try (Stream<Path> config = Files.list(from.resolve("config"))) {
      for (Path f : config.toList()) {
        Files.copy(f, to.resolve("config").resolve(f.getFileName()));
      }
    }
    Files.createSymbolicLink(to.resolve("target"), from.resolve("target"));
  }

  private record Result(int exit, String output) {}

  private Result stack(String command) throws IOException, InterruptedException {
    return run("stack", command);
  }

  private Result run(String script, String command) throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(clone.resolve("deploy/local").resolve(script).toString(), command)
            .redirectErrorStream(true);
    pb.environment().remove("BD3_HOME");
    pb.environment().putAll(env);
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), script + " " + command + " ended");
    System.out.print(output);
    return new Result(p.exitValue(), output);
  }

  /** A server setting, read over JDBC as the application does. */
  private static String setting(String url, Map<String, String> vars, String name)
      throws Exception {
    return query(url, vars, "SHOW " + name);
  }

  /** The first column of the first row, as text ({@code on}/{@code off} for a boolean). */
  private static String query(String url, Map<String, String> vars, String sql) throws Exception {
    try (Connection c =
            DriverManager.getConnection(url, vars.get("BD3_DB_USER"), vars.get("BD3_DB_PASSWORD"));
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery(sql)) {
      r.next();
      Object value = r.getObject(1);
      return value instanceof Boolean b ? (b ? "on" : "off") : String.valueOf(value);
    }
  }

  private static Set<java.nio.file.attribute.PosixFilePermission> owner() {
    return PosixFilePermissions.fromString("rwx------");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
