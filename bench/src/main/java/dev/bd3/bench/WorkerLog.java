package dev.bd3.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the workers' logs say of their jobs: when each instance began to poll (started), took a job
 * and settled it. Read to tell whether a worker sat idle while a job waited, and whether a run was
 * completed twice.
 */
final class WorkerLog {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS");
  private static final Pattern LINE =
      Pattern.compile("^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3}) .*");
  private static final Pattern POLLING = Pattern.compile("taking \\w+ jobs from");
  private static final Pattern STARTED = Pattern.compile("run (\\S+): attempt \\d+ \\(delivery");
  private static final Pattern SETTLED =
      Pattern.compile("run (\\S+): .*\\((?i:accept|reject|release)\\)$");
  private static final Pattern LOST = Pattern.compile("run (\\S+): attempt \\d+ lost its lease");

  private WorkerLog() {}

  /** One line that matters: which instance, when, what, of which run. */
  record Line(String instance, String type, Instant time, Kind kind, String runId, String text) {
    boolean started() {
      return kind == Kind.STARTED;
    }

    boolean settled() {
      return kind == Kind.SETTLED;
    }
  }

  enum Kind {
    POLLING,
    STARTED,
    SETTLED,
    LOST,
    /** Not in a log: the chaos driver killed the instance then. */
    KILLED
  }

  /** The lines of every worker instance of a suite, in time order. */
  static List<Line> read(Path logs, String suite) throws IOException {
    List<Line> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(logs)) {
      for (Path f : files.toList()) {
        String name = f.getFileName().toString();
        String prefix = suite + "-";
        if (!name.startsWith(prefix) || !name.endsWith(".log")) {
          continue;
        }
        String instance = name.substring(prefix.length(), name.length() - 4);
        String type = instance.replaceFirst("-\\d+$", "");
        if (type.equals("gateway")) {
          continue;
        }
        for (String text : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          Line line = parse(instance, type, text);
          if (line != null) {
            lines.add(line);
          }
        }
      }
    }
    lines.sort(Comparator.comparing(Line::time));
    return lines;
  }

  private static Line parse(String instance, String type, String text) {
    Matcher at = LINE.matcher(text);
    if (!at.matches()) {
      return null;
    }
    Instant time =
        LocalDateTime.parse(at.group(1), TIME).atZone(ZoneId.systemDefault()).toInstant();
    Matcher m;
    if (POLLING.matcher(text).find()) {
      return new Line(instance, type, time, Kind.POLLING, null, text);
    }
    if ((m = STARTED.matcher(text)).find()) {
      return new Line(instance, type, time, Kind.STARTED, m.group(1), text);
    }
    if ((m = LOST.matcher(text)).find()) {
      return new Line(instance, type, time, Kind.LOST, m.group(1), text);
    }
    if ((m = SETTLED.matcher(text)).find()) {
      return new Line(instance, type, time, Kind.SETTLED, m.group(1), text);
    }
    return null;
  }

  /**
   * Whether some instance of a worker type was polling with no job at a moment: it had begun to
   * poll since it was last started (killed instances are marked KILLED) and its last job, if any,
   * had been settled.
   */
  static boolean someIdle(List<Line> lines, String type, Instant at) {
    return lines.stream()
        .filter(l -> l.type().equals(type) && !l.time().isAfter(at))
        .map(Line::instance)
        .distinct()
        .anyMatch(instance -> idle(lines, instance, at));
  }

  private static boolean idle(List<Line> lines, String instance, Instant at) {
    Line last = null;
    for (Line l : lines) {
      if (l.time().isAfter(at)) {
        break;
      }
      if (l.instance().equals(instance)) {
        last = l;
      }
    }
    return last != null && last.kind() != Kind.STARTED && last.kind() != Kind.KILLED;
  }
}
