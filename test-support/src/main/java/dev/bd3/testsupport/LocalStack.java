package dev.bd3.testsupport;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Test resource: starts the project's local stack (real Kafka, PostgreSQL and s3proxy, {@code
 * deploy/local/stack start}, a no-op when it already runs) and points the application at it, with
 * the {@code bd3_test} database.
 */
public class LocalStack implements QuarkusTestResourceLifecycleManager {

  @Override
  public Map<String, String> start() {
    Map<String, String> env = start(root());
    Map<String, String> config = new HashMap<>();
    config.put("kafka.bootstrap.servers", env.get("KAFKA_BOOTSTRAP_SERVERS"));
    config.put("quarkus.datasource.jdbc.url", env.get("BD3_DB_URL") + "_test");
    config.put("quarkus.datasource.username", env.get("BD3_DB_USER"));
    config.put("quarkus.datasource.password", env.get("BD3_DB_PASSWORD"));
    return config;
  }

  @Override
  public void stop() {
    // the stack outlives the test JVM so that the next module's tests reuse it
  }

  /** Runs {@code deploy/local/stack start} and returns the variables of {@code stack env}. */
  public static Map<String, String> start(Path root) {
    run(root, "start");
    return parseEnv(run(root, "env"));
  }

  /** Where the local stack's S3-compatible server (s3proxy) listens, and its credentials. */
  public record S3(URI endpoint, String accessKey, String secretKey) {
    /** Sets the credentials where the AWS SDK's default chain finds them (system properties). */
    public S3 asDefaultCredentials() {
      System.setProperty("aws.accessKeyId", accessKey);
      System.setProperty("aws.secretAccessKey", secretKey);
      return this;
    }
  }

  /** Starts the stack (a no-op when it runs) and returns its S3 server's address. */
  public static S3 s3() {
    Map<String, String> env = start(root());
    return new S3(
        URI.create(env.get("BD3_STACK_S3_ENDPOINT")),
        env.get("BD3_STACK_S3_ACCESS_KEY"),
        env.get("BD3_STACK_S3_SECRET_KEY"));
  }

  /**
   * The assignments {@code stack env} prints ({@code export NAME=value}, the value quoted for the
   * shell with backslashes, as bash's {@code printf %q} does).
   */
  public static Map<String, String> parseEnv(String output) {
    Map<String, String> env = new HashMap<>();
    for (String line : output.split("\n")) {
      String assignment = line.replaceFirst("^export ", "");
      int eq = assignment.indexOf('=');
      if (eq > 0) {
        env.put(
            assignment.substring(0, eq), assignment.substring(eq + 1).replaceAll("\\\\(.)", "$1"));
      }
    }
    return env;
  }

  /** The repository root: {@code -Dbd3.root}, else the nearest folder above holding the stack. */
  public static Path root() {
    String configured = System.getProperty("bd3.root");
    if (configured != null && !configured.isBlank()) {
      return Paths.get(configured);
    }
    for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("deploy/local/stack"))) {
        return p;
      }
    }
    throw new IllegalStateException("cannot find deploy/local/stack above " + Paths.get(""));
  }

  private static String run(Path root, String command) {
    return script(root, Map.of(), "deploy/local/stack", command);
  }

  /** Runs one of the project's scripts with extra environment; its output, or why it failed. */
  static String script(Path root, Map<String, String> env, String script, String... args) {
    List<String> command = new ArrayList<>(List.of(root.resolve(script).toString()));
    command.addAll(List.of(args));
    try {
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      builder.environment().putAll(env);
      Process process = builder.start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
        throw new IllegalStateException(
            script + " " + String.join(" ", args) + " failed:\n" + output);
      }
      return output;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
