package dev.bd3.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bd3 wait ID}: a progress bar until the run ends; exit 0 only when it succeeded. */
@Command(
    name = "wait",
    mixinStandardHelpOptions = true,
    description = {
      "Follow a run's progress until it ends, then print its final status.",
      "Exit code 0 when it SUCCEEDED, 1 when it FAILED or was CANCELLED."
    })
final class WaitCommand implements Callable<Integer> {
  /** Longer than any job runs: waiting is ended by the run, or by Ctrl-C. */
  static final Duration LIMIT = Duration.ofDays(7);

  @Parameters(paramLabel = "ID", description = "the run's id")
  String id;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    JsonNode done = follow(Main.of(spec).client(), id, new ProgressBar(out, Main.terminal()));
    out.println(done.path("status").asText());
    out.flush();
    return exitCode(done, spec.commandLine().getErr());
  }

  /** Polls a run until it ends, showing its progress; returns the final view. */
  static JsonNode follow(Bd3Client client, String id, ProgressBar bar) {
    JsonNode done = client.await(id, LIMIT, bar::show);
    bar.finish();
    return done;
  }

  /** 0 for a run that succeeded; else 1, after printing why it did not to {@code err}. */
  static int exitCode(JsonNode run, PrintWriter err) {
    String status = run.path("status").asText();
    if (status.equals("SUCCEEDED")) {
      return 0;
    }
    String error = run.path("error").asText("");
    err.println(
        "bd3: run "
            + run.path("id").asText()
            + " "
            + status
            + (error.isEmpty() ? "" : ": " + error));
    err.flush();
    return 1;
  }
}
