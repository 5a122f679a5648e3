package dev.bd3.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bd3 metrics ID [--name loss]}: a run's metric points as a table. */
@Command(
    name = "metrics",
    mixinStandardHelpOptions = true,
    description = "Print a run's metric points (name, step, value), by name and step.")
final class MetricsCommand implements Callable<Integer> {
  @Parameters(paramLabel = "ID", description = "the run's id")
  String id;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description = "only this series, e.g. loss, lr, grad_norm, tokens_per_s")
  String name;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Table table = new Table("NAME", "STEP", "VALUE");
    for (JsonNode point : Main.of(spec).client().metrics(id, name)) {
      table.row(
          point.path("name").asText(), point.path("step").asText(), point.path("value").asText());
    }
    table.print(spec.commandLine().getOut());
    return 0;
  }
}
