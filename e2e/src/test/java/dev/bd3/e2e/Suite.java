package dev.bd3.e2e;

import dev.bd3.cli.Bd3Client;
import dev.bd3.jobs.KafkaTopology;
import dev.bd3.jobs.Topics;
import dev.bd3.testsupport.LocalStack;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;

/**
 * The packaged services, started by the project's own script ({@code deploy/local/suite}) as a
 * second suite named {@code e2e}: its own ports, the {@code bd3_test} database, its own artifact
 * folder and topics, on the shared local stack. Two gateways serve the same runs and two trainers
 * share the train queue; a job's lock is the shortest the broker allows (15 s) and a silent run
 * counts as lost after 20 s, so that the fault tests need not wait long.
 */
final class Suite {
  final Path root = LocalStack.root();
  final Path artifacts;
  final Map<String, String> env = new HashMap<>();
  final Bd3Client client;

  /**
   * Topics of this run only (the broker creates them): a job left unfinished by an earlier run that
   * failed would otherwise be taken up first and hold up this run's jobs.
   */
  final Topics topics = new Topics("bd3e2e" + Long.toString(System.currentTimeMillis(), 36));

  Suite() throws IOException {
    artifacts = Files.createTempDirectory("bd3-e2e-artifacts");
    int gateway = freePort();
    env.put("BD3_SUITE", "e2e");
    env.put("BD3_DB", "bd3_test");
    env.put("BD3_TOPIC_PREFIX", topics.prefix());
    env.put("BD3_ARTIFACTS", artifacts.toString());
    env.put("GATEWAY_PORT", String.valueOf(gateway));
    env.put("TRAINER_PORT", String.valueOf(freePort()));
    env.put("SAMPLER_PORT", String.valueOf(freePort()));
    env.put("EVAL_PORT", String.valueOf(freePort()));
    env.put("GATEWAYS", "2");
    env.put("TRAINERS", "2");
    env.put("BD3_JOB_LOCK", "15s");
    env.put("BD3_STALE_AFTER", "20s");
    client = new Bd3Client(URI.create("http://127.0.0.1:" + gateway));
  }

  /** A client of the second gateway (instance gateway-2, port + 100). */
  Bd3Client secondGateway() {
    return new Bd3Client(
        URI.create("http://127.0.0.1:" + (Integer.parseInt(env.get("GATEWAY_PORT")) + 100)));
  }

  void start() {
    run("start");
  }

  /** Creates this run's topics as the gateway would (before the services would make their own). */
  void createTopics() {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka()))) {
      KafkaTopology.ensureTopics(admin, topics);
    }
  }

  /** The stack's Kafka bootstrap address. */
  String kafka() {
    return LocalStack.start(root).get("KAFKA_BOOTSTRAP_SERVERS");
  }

  /** Stops the services; the stack stays for the next test module. */
  void stop() {
    run("stop", "services");
  }

  /** The log of one of this suite's services. */
  String log(String service) throws IOException {
    return Files.readString(
        root.resolve(".bd3/logs/e2e-" + service + ".log"), StandardCharsets.UTF_8);
  }

  /** Kills a service instance without warning (SIGKILL), as a crash would. */
  void kill(String instance) throws IOException, InterruptedException {
    signal(instance, "KILL");
  }

  /** Sends a signal to a service instance: KILL, STOP (a hung process), CONT. */
  void signal(String instance, String signal) throws IOException, InterruptedException {
    String pid = Files.readString(root.resolve(".bd3/e2e/" + instance + ".pid")).strip();
    new ProcessBuilder("kill", "-" + signal, pid).inheritIO().start().waitFor();
  }

  /** The instance a worker id names ({@code e2e-trainer-2@host} is {@code trainer-2}). */
  static String instance(String worker) {
    return worker.replaceFirst("^e2e-", "").replaceFirst("@.*$", "");
  }

  /** Runs {@code deploy/local/stack} with these arguments (stop kafka, start ...). */
  void stack(String... args) {
    script("deploy/local/stack", args);
  }

  private void run(String... args) {
    script("deploy/local/suite", args);
  }

  private void script(String script, String... args) {
    String[] command = new String[args.length + 1];
    command[0] = root.resolve(script).toString();
    System.arraycopy(args, 0, command, 1, args.length);
    try {
      ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
        throw new IllegalStateException(script + " " + String.join(" ", args) + " failed");
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
