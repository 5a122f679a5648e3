package dev.bd3.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** Runs {@code bd3} in-process, as a test would type it, and keeps what it printed. */
final class Cli {
  record Result(int exitCode, String out, String err) {
    /** For assertion messages. */
    String all() {
      return "exit " + exitCode + "\n--- out:\n" + out + "--- err:\n" + err;
    }
  }

  private Cli() {}

  /** {@code bd3 --api API args...}, polling fast. */
  static Result run(URI api, String... args) {
    List<String> all = new ArrayList<>(List.of("--api", api.toString()));
    all.addAll(List.of(args));
    return runRaw(all.toArray(String[]::new));
  }

  /** {@code bd3 args...} as given. */
  static Result runRaw(String... args) {
    CommandLine commandLine = Main.commandLine(new Main(Duration.ofMillis(10)));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int exitCode = commandLine.execute(args);
    return new Result(exitCode, out.toString(), err.toString());
  }
}
