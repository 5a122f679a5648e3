package dev.bd3.worker;

/**
 * This worker's hold on one delivery of a job. The queue renews it while the job runs; when a
 * renewal is refused (the lock ran out and the job went to another worker) the lease is lost and
 * the job must stop at once, reporting nothing more. A worker that is shutting down asks its job to
 * stop at the next step and gives the job back.
 */
final class Lease {
  private volatile boolean lost;
  private volatile boolean stopping;

  void lose() {
    lost = true;
  }

  void stop() {
    stopping = true;
  }

  boolean lost() {
    return lost;
  }

  boolean stopping() {
    return stopping;
  }

  /** Throws once the lease is lost: the job unwinds from wherever it reports or checks. */
  void check() {
    if (lost) {
      throw new LeaseLost();
    }
  }

  /** The job went to another worker: this one stops and reports nothing more. */
  static final class LeaseLost extends RuntimeException {
    LeaseLost() {
      super("the job's lease was lost to another worker", null, false, false);
    }
  }
}
