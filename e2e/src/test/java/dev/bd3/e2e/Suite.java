package dev.bd3.e2e;

import dev.bd3.cli.Bd3Client;
import dev.bd3.jobs.Topics;
import dev.bd3.testsupport.LocalSuite;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/**
 * The end-to-end tests' suite (a {@link LocalSuite} named {@code e2e}). Two gateways serve the same
 * runs and two trainers share the train queue; a job's lock is the shortest the broker allows (15
 * s) and a silent run counts as lost after 20 s, so that the fault tests need not wait long.
 */
final class Suite {
  private final LocalSuite local =
      new LocalSuite(
          "e2e",
          Map.of(
              "GATEWAYS",
              "2",
              "TRAINERS",
              "2",
              "BD3_GATEWAY_JOBS_LOCK_DURATION",
              "15s",
              "BD3_GATEWAY_RUNS_STALE_AFTER",
              "20s"));

  final Path artifacts = local.artifacts();
  final Topics topics = local.topics();

  /** The first gateway's address. */
  String api() {
    return "http://127.0.0.1:" + local.port("gateway");
  }

  /** A client of the first gateway, signed in as the admin (once the suite has started). */
  Bd3Client client() {
    return new Bd3Client(URI.create(api()), local.adminKey());
  }

  /** A client of the second gateway. */
  Bd3Client secondGateway() {
    return new Bd3Client(
        URI.create("http://127.0.0.1:" + local.port("gateway-2")), local.adminKey());
  }

  /** The first admin key (for signing in to the dashboard). */
  String adminKey() {
    return local.adminKey();
  }

  /** The first admin key's file (for the command line). */
  Path adminKeyFile() {
    return local.adminKeyFile();
  }

  /** Creates the topics, then starts every instance. */
  void startAll() {
    local.start();
  }

  /** Starts what is not running (a killed instance, a stopped broker). */
  void start() {
    local.suite("start");
  }

  /** Stops the services; the stack stays for the next test module. */
  void stop() {
    local.stop();
  }

  /** The stack's Kafka bootstrap address. */
  String kafka() {
    return local.stackEnv().get("KAFKA_BOOTSTRAP_SERVERS");
  }

  /** The last {@code lines} of every instance's log. */
  String logTails(int lines) {
    return local.logTails(lines);
  }

  String log(String instance) throws IOException {
    return local.log(instance);
  }

  /** Kills an instance without warning (SIGKILL), as a crash would. */
  void kill(String instance) throws IOException, InterruptedException {
    local.signal(instance, "KILL");
  }

  void signal(String instance, String signal) throws IOException, InterruptedException {
    local.signal(instance, signal);
  }

  /** The instance a worker id names ({@code e2e-trainer-2@host} is {@code trainer-2}). */
  String instance(String worker) {
    return local.instance(worker);
  }

  /** Runs {@code deploy/local/stack} with these arguments (stop kafka, start ...). */
  void stack(String... args) {
    local.stack(args);
  }
}
