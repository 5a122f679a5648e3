package dev.bd3.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * A run's progress as {@code [#####.....] 120/300 40% ETA 1m01s RUNNING}: redrawn in place on a
 * terminal; elsewhere (a log file, a pipe) one line each time the step or status changes, since a
 * carriage return there only garbles the text.
 */
final class ProgressBar {
  private static final int WIDTH = 30;

  private final PrintWriter out;
  private final boolean terminal;
  private String lastKey = "";
  private int lastLength;

  ProgressBar(PrintWriter out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  /** Shows a run view fetched while waiting. */
  void show(JsonNode run) {
    JsonNode progress = run.path("progress");
    String status = run.path("status").asText();
    // the ETA alone changes on every poll: it does not make a new line in a log
    String key = status + " " + progress.path("step").asText() + "/" + progress.path("total");
    if (!terminal) {
      if (!key.equals(lastKey)) {
        out.println(line(run));
      }
    } else {
      String line = line(run);
      out.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
      lastLength = line.length();
    }
    lastKey = key;
    out.flush();
  }

  /** Ends the redrawn line, so that what follows starts on its own. */
  void finish() {
    if (terminal && lastLength > 0) {
      out.println();
      out.flush();
    }
    lastLength = 0;
  }

  /** One rendering of a run's progress. */
  static String line(JsonNode run) {
    JsonNode progress = run.path("progress");
    String status = run.path("status").asText();
    long total = progress.path("total").asLong(0);
    if (total <= 0) {
      return status;
    }
    long step = Math.min(progress.path("step").asLong(0), total);
    int filled = (int) (WIDTH * step / total);
    StringBuilder line = new StringBuilder("[");
    line.append("#".repeat(filled)).append(".".repeat(WIDTH - filled)).append("] ");
    line.append(String.format(Locale.ROOT, "%d/%d %3d%%", step, total, 100 * step / total));
    JsonNode eta = progress.path("etaSeconds");
    if (eta.isNumber() && !Bd3Client.isTerminal(run)) {
      line.append("  ETA ").append(duration(eta.asDouble()));
    }
    return line.append("  ").append(status).toString();
  }

  /** {@code 45s}, {@code 4m05s}, {@code 2h03m}. */
  static String duration(double seconds) {
    long s = Math.round(Math.max(0, seconds));
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
  }
}
