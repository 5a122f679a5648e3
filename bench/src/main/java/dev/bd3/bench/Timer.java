package dev.bd3.bench;

import java.util.Arrays;

/** Median wall time of repeated runs after warm-up: robust on a shared, noisy machine. */
final class Timer {
  private Timer() {}

  interface Work {
    void run() throws Exception;
  }

  static double medianSeconds(int warmup, int repeats, Work work) throws Exception {
    for (int i = 0; i < warmup; i++) {
      work.run();
    }
    double[] t = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      long start = System.nanoTime();
      work.run();
      t[i] = (System.nanoTime() - start) / 1e9;
    }
    Arrays.sort(t);
    return t[repeats / 2];
  }

  /** Runs {@code a} and {@code b} interleaved, so that both see the same machine load. */
  static double[] interleavedMedians(int warmup, int repeats, Work a, Work b) throws Exception {
    for (int i = 0; i < warmup; i++) {
      a.run();
      b.run();
    }
    double[] ta = new double[repeats];
    double[] tb = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      long s = System.nanoTime();
      a.run();
      ta[i] = (System.nanoTime() - s) / 1e9;
      s = System.nanoTime();
      b.run();
      tb[i] = (System.nanoTime() - s) / 1e9;
    }
    Arrays.sort(ta);
    Arrays.sort(tb);
    return new double[] {ta[repeats / 2], tb[repeats / 2]};
  }
}
