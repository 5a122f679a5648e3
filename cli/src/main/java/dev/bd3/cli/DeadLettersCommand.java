package dev.bd3.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bd3 dead-letters [--limit N]} and {@code bd3 dead-letters replay PARTITION OFFSET}. */
@Command(
    name = "dead-letters",
    mixinStandardHelpOptions = true,
    description = "List what was parked in the dead-letter topic (newest first), with why.",
    subcommands = DeadLettersCommand.Replay.class)
final class DeadLettersCommand implements Callable<Integer> {
  @Option(names = "--limit", defaultValue = "20", description = "at most this many")
  int limit;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Table table = new Table("PARTITION", "OFFSET", "TIME", "KEY", "FROM", "REASON");
    for (JsonNode d : Main.of(spec).client().deadLetters(limit)) {
      table.row(
          d.path("partition").asText(),
          d.path("offset").asText(),
          d.path("time").asText(),
          d.path("key").asText(),
          d.path("topic").asText(),
          d.path("reason").asText());
    }
    table.print(spec.commandLine().getOut());
    return 0;
  }

  /** {@code bd3 dead-letters replay PARTITION OFFSET}. */
  @Command(
      name = "replay",
      mixinStandardHelpOptions = true,
      description = "Publish a parked message again to its topic; a replayed job's run is QUEUED.")
  static final class Replay implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "PARTITION")
    int partition;

    @Parameters(index = "1", paramLabel = "OFFSET")
    long offset;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      JsonNode replayed = Main.of(spec).client().replayDeadLetter(partition, offset);
      spec.commandLine()
          .getOut()
          .println("replayed to " + replayed.path("topic").asText() + ": " + replayed.path("key"));
      return 0;
    }
  }
}
