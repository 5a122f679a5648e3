package dev.bd3.testsupport;

import dev.bd3.jobs.JobType;
import dev.bd3.jobs.Topics;
import dev.bd3.kafka.KafkaTopology;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;

/**
 * A suite of the packaged services started by the project's own script ({@code deploy/local/suite})
 * under a name of its own, for the end-to-end tests and the chaos benchmark: its own ports, topics,
 * artifact folder, pid and log files, and tables (the script gives it a schema of its name in the
 * {@code bd3_test} database), on the shared local stack. Instances are named as the script names
 * them: {@code trainer}, {@code trainer-2}, ... Its files are found where the script puts them,
 * {@code BD3_HOME} and {@code BD3_GATEWAY_AUTH_ADMIN_KEY_FILE} included.
 */
public final class LocalSuite {
  private final Path root = LocalStack.root();
  private final String name;
  private final Path artifacts;
  private final Map<String, String> env = new HashMap<>();

  /**
   * Topics of this suite only: a job left unfinished by an earlier run would otherwise be taken up
   * first and hold up this run's jobs.
   */
  private final Topics topics;

  /**
   * @param name the suite's name (pid and log files)
   * @param settings the environment besides what every suite gets: instance counts ({@code
   *     TRAINERS}...), the queue's lock, ...
   */
  public LocalSuite(String name, Map<String, String> settings) {
    this.name = name;
    this.topics = new Topics("bd3" + name + Long.toString(System.currentTimeMillis(), 36));
    try {
      artifacts = Files.createTempDirectory("bd3-" + name + "-artifacts");
      env.put(portVariable("gateway"), String.valueOf(freePort()));
      for (String worker : JobType.workers()) {
        env.put(portVariable(worker), String.valueOf(freePort()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    env.put("BD3_SUITE", name);
    env.put("BD3_DB", "bd3_test");
    env.put("BD3_TOPIC_PREFIX", topics.prefix());
    env.put("BD3_ARTIFACTS", artifacts.toString());
    env.putAll(settings);
  }

  /** Creates the topics as the gateway would (before the services), then starts everything. */
  public void start() {
    try (Admin admin =
        Admin.create(Map.of("bootstrap.servers", stackEnv().get("KAFKA_BOOTSTRAP_SERVERS")))) {
      KafkaTopology.ensureTopics(admin, topics);
    }
    suite("start");
  }

  /** Stops the services; the stack stays for whoever uses it next. */
  public void stop() {
    suite("stop", "services");
  }

  /** The stack's environment (Kafka, the database, its credentials), starting it if need be. */
  public Map<String, String> stackEnv() {
    return LocalStack.start(root);
  }

  public Topics topics() {
    return topics;
  }

  public Path artifacts() {
    return artifacts;
  }

  /** The HTTP port of an instance: the service's port + 100 (i - 1) for instance i. */
  public int port(String instance) {
    String service = instance.replaceFirst("-\\d+$", "");
    int i = instance.matches(".*-\\d+") ? Integer.parseInt(instance.replaceFirst(".*-", "")) : 1;
    return Integer.parseInt(env.get(portVariable(service))) + 100 * (i - 1);
  }

  /**
   * The variable that sets a service's port in the suite script and compose: {@code
   * BD3_TRAINER_PORT}.
   */
  public static String portVariable(String service) {
    return "BD3_" + service.toUpperCase(Locale.ROOT) + "_PORT";
  }

  /** The log of an instance (appended across its restarts). */
  public String log(String instance) throws IOException {
    return Files.readString(logs().resolve(name + "-" + instance + ".log"), StandardCharsets.UTF_8);
  }

  /**
   * The last {@code lines} lines of every instance's log: what a failed test prints, so that a run
   * that went wrong where no one can read the files (CI) still says why.
   */
  public String logTails(int lines) {
    StringBuilder out = new StringBuilder();
    try (var files = Files.list(logs())) {
      for (Path file :
          files.filter(f -> f.getFileName().toString().startsWith(name + "-")).sorted().toList()) {
        List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
        out.append("==> ").append(file.getFileName()).append(" <==\n");
        all.subList(Math.max(0, all.size() - lines), all.size())
            .forEach(line -> out.append(line).append('\n'));
      }
    } catch (IOException e) {
      out.append("logs unreadable: ").append(e).append('\n');
    }
    return out.toString();
  }

  /**
   * Where the suite script keeps its pid and log files (and the stack its data): {@code BD3_HOME},
   * else {@code <root>/.bd3}. An empty value is unset, as in the script's {@code ${BD3_HOME:-...}}.
   */
  public static Path home(Map<String, String> env, Path root) {
    return setting(env, "BD3_HOME").map(Path::of).orElseGet(() -> root.resolve(".bd3"));
  }

  /**
   * The first admin key's file as the suite script finds it, for a script run with {@code env}:
   * {@code BD3_GATEWAY_AUTH_ADMIN_KEY_FILE}, else {@code secrets/admin-key} under {@link #home}.
   * The one place the Java side decides it (the end-to-end tests, {@code bench/run chaos} and
   * {@code fuzz}).
   */
  public static Path adminKeyFile(Map<String, String> env, Path root) {
    return setting(env, "BD3_GATEWAY_AUTH_ADMIN_KEY_FILE")
        .map(Path::of)
        .orElseGet(() -> home(env, root).resolve("secrets/admin-key"));
  }

  private static Optional<String> setting(Map<String, String> env, String name) {
    return Optional.ofNullable(env.get(name)).filter(value -> !value.isEmpty());
  }

  /** The environment the script runs with: this process's, the suite's own settings over it. */
  private Map<String, String> scriptEnv() {
    Map<String, String> all = new HashMap<>(System.getenv());
    all.putAll(env);
    return all;
  }

  /** The first admin key's file ({@link #adminKeyFile(Map, Path)}), made by a gateway at start. */
  public Path adminKeyFile() {
    return adminKeyFile(scriptEnv(), root);
  }

  /** The first admin key, which the suite's first gateway made (or found) at its start. */
  public String adminKey() {
    try {
      return Files.readString(adminKeyFile(), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Path logs() {
    return home(scriptEnv(), root).resolve("logs");
  }

  /**
   * Sends a signal to an instance: KILL (a crash) or TERM (a graceful stop, as a rolling update
   * sends), each returning once the process is gone; STOP (a hung process), CONT.
   */
  public void signal(String instance, String signal) throws IOException, InterruptedException {
    String pid =
        Files.readString(home(scriptEnv(), root).resolve(name).resolve(instance + ".pid")).strip();
    new ProcessBuilder("kill", "-" + signal, pid).inheritIO().start().waitFor();
    if (signal.equals("KILL") || signal.equals("TERM")) {
      awaitExit(pid);
    }
  }

  /**
   * Waits until a killed process has closed its files: gone, or a zombie. Until then its ports stay
   * bound, though its command line already reads empty, so a restart would find its port taken.
   */
  private static void awaitExit(String pid) throws InterruptedException {
    Path stat = Path.of("/proc", pid, "stat");
    for (int i = 0; i < 900; i++) {
      try {
        String s = Files.readString(stat);
        if (s.charAt(s.lastIndexOf(')') + 2) == 'Z') {
          return;
        }
      } catch (IOException gone) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("process " + pid + " still running 90 s after the signal");
  }

  /** The instance a worker id names ({@code <suite>-trainer-2@host} is {@code trainer-2}). */
  public String instance(String worker) {
    return worker.replaceFirst("^" + name + "-", "").replaceFirst("@.*$", "");
  }

  /** Runs {@code deploy/local/suite} with these arguments; its output. */
  public String suite(String... args) {
    return script("deploy/local/suite", args);
  }

  /** Runs {@code deploy/local/stack} with these arguments (stop kafka, kill postgres, ...). */
  public String stack(String... args) {
    return script("deploy/local/stack", args);
  }

  private String script(String script, String... args) {
    return LocalStack.script(root, env, script, args);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
