package dev.bd3.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/** Parsing alone: which command and options each command line selects, and usage errors. */
class CommandLineTest {

  @Test
  void apiDefaultsToTheEnvironmentElseTheLocalGateway() {
    CommandLine bd3 = Main.commandLine();
    bd3.parseArgs("runs");
    String expected = System.getenv().getOrDefault("BD3_API", "http://127.0.0.1:8080");
    assertEquals(URI.create(expected), ((Main) bd3.getCommand()).api);
  }

  @Test
  void apiGoesBeforeOrAfterTheCommand() {
    CommandLine bd3 = Main.commandLine();
    bd3.parseArgs("--api", "http://gw:1", "get", "r1");
    assertEquals(URI.create("http://gw:1"), ((Main) bd3.getCommand()).api);

    bd3 = Main.commandLine();
    bd3.parseArgs("submit", "train", "--api", "http://gw:2", "--steps", "3");
    assertEquals(URI.create("http://gw:2"), ((Main) bd3.getCommand()).api);
  }

  @Test
  void idCommandsTakeTheirId() {
    for (String command : List.of("get", "wait", "cancel", "metrics", "events", "logs")) {
      ParseResult parsed = Main.commandLine().parseArgs(command, "r1");
      assertEquals("r1", parsed.subcommand().matchedPositional(0).getValue(), command);
    }
  }

  @Test
  void logsIsEvents() {
    ParseResult parsed = Main.commandLine().parseArgs("logs", "r1");
    assertEquals("events", parsed.subcommand().commandSpec().name());
  }

  @Test
  void runsFilters() {
    ParseResult parsed =
        Main.commandLine()
            .parseArgs("runs", "--type", "train", "--status", "SUCCEEDED", "--limit", "5");
    RunsCommand runs = (RunsCommand) parsed.subcommand().commandSpec().userObject();
    assertEquals("train", runs.type);
    assertEquals("SUCCEEDED", runs.status);
    assertEquals(5, runs.limit);
  }

  @Test
  void metricsName() {
    ParseResult parsed = Main.commandLine().parseArgs("metrics", "r1", "--name", "loss");
    MetricsCommand metrics = (MetricsCommand) parsed.subcommand().commandSpec().userObject();
    assertEquals("r1", metrics.id);
    assertEquals("loss", metrics.name);
  }

  @Test
  void demoSteps() {
    ParseResult parsed =
        Main.commandLine().parseArgs("--api", "http://gw:3", "demo", "--steps", "7");
    assertEquals(7, ((DemoCommand) parsed.subcommand().commandSpec().userObject()).steps);
    parsed = Main.commandLine().parseArgs("demo");
    assertEquals(300, ((DemoCommand) parsed.subcommand().commandSpec().userObject()).steps);
  }

  @Test
  void submitOptions() {
    ParseResult parsed =
        Main.commandLine()
            .parseArgs(
                "submit",
                "eval",
                "--name",
                "e1",
                "--idempotency-key",
                "k1",
                "--wait",
                "--max-sequences",
                "8");
    SubmitJobCommand submit =
        (SubmitJobCommand) parsed.subcommand().subcommand().commandSpec().userObject();
    assertEquals("e1", submit.name);
    assertEquals("k1", submit.idempotencyKey);
    assertTrue(submit.await);
    assertEquals(8, submit.jobSpec().path("maxSequences").asInt());
  }

  @Test
  void getWithoutIdIsAUsageError() {
    Cli.Result result = Cli.runRaw("get");
    assertEquals(2, result.exitCode(), result.all());
    assertTrue(result.err().contains("Missing required parameter: 'ID'"), result.all());
    assertTrue(result.err().contains("Usage: bd3 get"), result.all());
    assertFalse(result.err().contains("Exception"), result.all());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "submit",
        "submit nope",
        "frobnicate",
        "runs --limit many",
        "wait",
        "submit train --steps ten",
        "submit train --spec [1]",
        "submit train --spec {nope",
        "submit train --spec-file /no/such/file"
      })
  void usageErrorsExit2(String args) {
    Cli.Result result = Cli.runRaw(args.isEmpty() ? new String[0] : args.split(" "));
    assertEquals(2, result.exitCode(), result.all());
    assertFalse(result.err().isEmpty(), result.all());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "submit",
        "submit train",
        "submit eval",
        "submit sample",
        "get",
        "wait",
        "cancel",
        "runs",
        "metrics",
        "events",
        "logs",
        "demo"
      })
  void everyCommandHasHelp(String command) {
    String args = (command + " --help").strip();
    Cli.Result result = Cli.runRaw(args.split(" "));
    assertEquals(0, result.exitCode(), result.all());
    assertTrue(result.out().startsWith("Usage: bd3"), result.all());
  }

  @Test
  void submitTrainHelpListsTheSpecFields() {
    String usage = Cli.runRaw("submit", "train", "--help").out();
    for (String option :
        List.of(
            "--preset",
            "--block-size",
            "--steps",
            "--checkpoint-every",
            "--seed",
            "--spec",
            "--spec-file",
            "--name",
            "--idempotency-key",
            "--wait",
            "--api")) {
      assertTrue(usage.contains(option), option + " in\n" + usage);
    }
  }
}
