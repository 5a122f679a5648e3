package dev.bd3.worker;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/**
 * This worker's hold on one delivery of a job. The queue renews it while the job runs; when a
 * renewal is refused (the lock ran out and the job went to another worker) the lease is lost and
 * the job must stop at once, reporting nothing more; so it must when the gateway fences it off (a
 * copy of the job holds the run). A worker that is shutting down asks its job to stop at the next
 * step and gives the job back.
 */
final class Lease {
  private static final Duration CONFIRM_WITHIN = Duration.ofSeconds(60);
  private static final Duration GRANT_POLL = Duration.ofMillis(200);
  private static final Duration GRANT_WITHIN = Duration.ofMinutes(10);
  private static final Duration CLAIM_AGAIN_EVERY = Duration.ofSeconds(10);
  private static final Logger LOG = Logger.getLogger(Lease.class);

  private volatile boolean lost;
  private volatile boolean spent;
  private volatile boolean stopping;
  private CompletableFuture<Boolean> confirmation;
  private CompletableFuture<Void> asked = new CompletableFuture<>();
  private final CompletableFuture<Void> granted = new CompletableFuture<>();
  private final Duration claimAgainEvery;
  private volatile Runnable claim = () -> {};

  Lease() {
    this(CLAIM_AGAIN_EVERY);
  }

  /**
   * A lease that, while it waits for its grant, claims the run again every {@code claimAgainEvery}.
   */
  Lease(Duration claimAgainEvery) {
    this.claimAgainEvery = claimAgainEvery;
  }

  /**
   * How this hold claims the run (its worker's RUNNING status). The gateway answers every claim of
   * the run's holder with a grant, so a hold that waits long for its grant claims again rather than
   * wait out {@link #GRANT_WITHIN} on one notice that never reached it.
   */
  void claimWith(Runnable claim) {
    this.claim = claim;
  }

  void lose() {
    lost = true;
    answer(false);
  }

  /** The gateway took this hold as the run's one holder. */
  void grant() {
    granted.complete(null);
  }

  /**
   * Blocks until the queue has renewed the lock (the broker confirmed this worker still holds the
   * job) and the gateway has granted the hold (no copy of the job holds the run), for a side effect
   * another holder must never see twice, such as a checkpoint file; throws when the job went to
   * another worker. While the gateway is away the job waits here, its lock still renewed, for ten
   * minutes at most.
   */
  void confirm() {
    confirmRenewed();
    awaitGrant();
  }

  /**
   * Blocks until the gateway has granted the hold; throws once the lease is lost or fenced off. A
   * job's end waits for it too, so that a copy of the job never reports one.
   */
  void awaitGrant() {
    long giveUp = System.nanoTime() + GRANT_WITHIN.toNanos();
    long claimAgain = System.nanoTime() + claimAgainEvery.toNanos();
    while (!granted.isDone()) {
      check();
      if (System.nanoTime() > claimAgain) {
        claim.run();
        claimAgain = System.nanoTime() + claimAgainEvery.toNanos();
      }
      if (System.nanoTime() > giveUp) {
        // unheard of with a gateway up: rather than hold the job for ever, let another take it
        LOG.warnf("no word from the gateway on this hold in %s; giving the job up", GRANT_WITHIN);
        lost = true;
        throw new LeaseLost();
      }
      try {
        granted.get(GRANT_POLL.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        lost = true;
        throw new LeaseLost();
      } catch (ExecutionException | TimeoutException e) {
        // not yet: look at the lease again
      }
    }
    check();
  }

  private void confirmRenewed() {
    CompletableFuture<Boolean> answer;
    synchronized (this) {
      check();
      if (confirmation == null) {
        confirmation = new CompletableFuture<>();
        asked.complete(null);
      }
      answer = confirmation;
    }
    boolean held;
    try {
      held = answer.get(CONFIRM_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      held = false;
    } catch (ExecutionException | TimeoutException e) {
      held = false;
    }
    if (!held) {
      lost = true;
      throw new LeaseLost();
    }
  }

  /** Completes when the job asks for a confirmation (the queue then renews at once). */
  synchronized CompletableFuture<Void> asked() {
    return asked;
  }

  /** The queue's answer to a pending confirmation: whether its renewal was taken. */
  synchronized void answer(boolean held) {
    if (confirmation != null) {
      confirmation.complete(held);
      confirmation = null;
      asked = new CompletableFuture<>();
    }
  }

  /**
   * The gateway refused this hold ({@link dev.bd3.jobs.Fence}): the job stops as if the lease were
   * lost; {@code recordSpent}: its record is to be acknowledged, never delivered again.
   */
  void fence(boolean recordSpent) {
    spent = recordSpent;
    lose();
  }

  /** Whether the gateway fenced this hold off and its record is spent. */
  boolean spent() {
    return spent;
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
