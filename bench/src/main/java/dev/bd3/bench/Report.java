package dev.bd3.bench;

import java.time.Instant;
import java.util.Locale;

/** A readable report that ends with machine-readable {@code RESULT <figure> <value>} lines. */
final class Report {
  private final StringBuilder results = new StringBuilder();
  private final Options options;

  Report(String name, Options options) {
    this.options = options;
    Runtime rt = Runtime.getRuntime();
    System.out.printf(
        Locale.ROOT,
        "# bench %s  %s%n# %d cores, java %s, %s %s, options %s%n%n",
        name,
        Instant.now(),
        rt.availableProcessors(),
        System.getProperty("java.version"),
        System.getProperty("os.name"),
        System.getProperty("os.arch"),
        options.given());
  }

  void line(String format, Object... args) {
    System.out.printf(Locale.ROOT, format + "%n", args);
  }

  void result(String figure, double value) {
    results.append(String.format(Locale.ROOT, "RESULT %s %.4g%n", figure, value));
  }

  /** Prints the RESULT lines; call last. */
  void finish() {
    System.out.println();
    System.out.println("# options read (given or default): " + options.read());
    System.out.print(results);
    System.out.flush();
  }
}
