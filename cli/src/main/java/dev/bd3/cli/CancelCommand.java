package dev.bd3.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bd3 cancel ID}. */
@Command(
    name = "cancel",
    mixinStandardHelpOptions = true,
    description = {
      "Cancel a run: a queued one at once, a running one at its worker's next step (training"
          + " writes a checkpoint first). Prints the run as JSON.",
      "A run that has already ended cannot be cancelled (exit code 1)."
    })
final class CancelCommand implements Callable<Integer> {
  @Parameters(paramLabel = "ID", description = "the run's id")
  String id;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().getOut().println(Main.of(spec).client().cancel(id).toPrettyString());
    return 0;
  }
}
