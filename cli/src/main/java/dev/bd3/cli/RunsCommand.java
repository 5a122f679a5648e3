package dev.bd3.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bd3 runs}: the run history as a table, newest first. */
@Command(
    name = "runs",
    mixinStandardHelpOptions = true,
    description = "List runs, newest first: id, type, status, name, created, progress.")
final class RunsCommand implements Callable<Integer> {
  /** Creation times in the reader's time zone, to the second. */
  static final DateTimeFormatter CREATED =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT)
          .withZone(ZoneId.systemDefault());

  @Option(names = "--type", paramLabel = "TYPE", description = "only train, eval or sample runs")
  String type;

  @Option(
      names = "--status",
      paramLabel = "STATUS",
      description = "only runs QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED")
  String status;

  @Option(
      names = "--limit",
      paramLabel = "N",
      description = "at most N runs (the gateway's default: 50)")
  Integer limit;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Table table = new Table("ID", "TYPE", "STATUS", "NAME", "CREATED", "PROGRESS");
    for (JsonNode run : Main.of(spec).client().runs(type, status, limit)) {
      table.row(
          run.path("id").asText(),
          run.path("type").asText(),
          run.path("status").asText(),
          run.path("name").asText("-"),
          created(run.path("createdAt")),
          progress(run.path("progress")));
    }
    table.print(spec.commandLine().getOut());
    return 0;
  }

  static String created(JsonNode createdAt) {
    try {
      return createdAt.isNumber()
          ? CREATED.format(Instant.ofEpochMilli((long) (createdAt.asDouble() * 1000)))
          : CREATED.format(Instant.parse(createdAt.asText()));
    } catch (DateTimeParseException e) {
      return createdAt.asText("-");
    }
  }

  /** {@code 120/300 40%}, or {@code -} before the worker has reported any. */
  static String progress(JsonNode progress) {
    long total = progress.path("total").asLong(0);
    if (total <= 0) {
      return "-";
    }
    long step = progress.path("step").asLong(0);
    return step + "/" + total + " " + (100 * step / total) + "%";
  }
}
