package dev.bd3.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bd3 get ID}: a run's view as JSON. */
@Command(
    name = "get",
    mixinStandardHelpOptions = true,
    description =
        "Print a run (status, progress, checkpoints, latest metrics, samples, eval results) as"
            + " JSON.")
final class GetCommand implements Callable<Integer> {
  @Parameters(paramLabel = "ID", description = "the run's id")
  String id;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().getOut().println(Main.of(spec).client().run(id).toPrettyString());
    return 0;
  }
}
