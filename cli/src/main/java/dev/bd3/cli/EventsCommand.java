package dev.bd3.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bd3 events ID} (or {@code logs}): a run's live events, one per line. */
@Command(
    name = "events",
    aliases = "logs",
    mixinStandardHelpOptions = true,
    description = {
      "Follow a run's events live, one per line as `NAME DATA`: first `run` (the run as it is),"
          + " then status, progress, metric, checkpoint, sample ... as they happen.",
      "Ends when the run ends (at once for a run that has already ended)."
    })
final class EventsCommand implements Callable<Integer> {
  @Parameters(paramLabel = "ID", description = "the run's id")
  String id;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Main.of(spec)
        .client()
        .events(
            id,
            event -> {
              // one event per line, even one whose data spans several
              out.println(event.name() + " " + event.data().replace('\n', ' '));
              out.flush();
            });
    return 0;
  }
}
