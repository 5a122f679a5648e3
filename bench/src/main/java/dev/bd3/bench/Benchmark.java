package dev.bd3.bench;

/** A benchmark: reads its options, prints its report, ends with RESULT lines. */
abstract class Benchmark {
  protected final Options o;
  protected final Report r;

  Benchmark(Options options, Report report) {
    this.o = options;
    this.r = report;
  }

  abstract void run() throws Exception;
}
