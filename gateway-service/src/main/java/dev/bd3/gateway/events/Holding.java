package dev.bd3.gateway.events;

import dev.bd3.gateway.runs.Run;
import dev.bd3.jobs.JobEvent;

/**
 * Who holds a run, and the rule that says whose events count: the run's one holder's, while the run
 * has not ended. The first worker to report a status for a later attempt of the run's current
 * dispatch takes the hold; anyone else's events are dropped, and a worker that claims the run in
 * vain (a status) is refused, so that it stops. Events without a holder (the gateway's own, workers
 * from before holders) count only while no holder has the run. The database applies the rule to the
 * stored run; a live stream applies it to the run as it saw it (where a hand-on's new dispatch is
 * not yet known to it, any dispatch may take the run).
 *
 * @param ended whether the run has ended
 * @param attempt the holder's attempt
 * @param dispatch the run's current dispatch (null: any)
 * @param holder the holder's record (null: none yet)
 */
public record Holding(boolean ended, int attempt, String dispatch, String holder) {

  /** What an event is to the run. */
  public enum Verdict {
    /** The holder's: it counts. */
    HOLDER,
    /** A status of a later attempt of the dispatch: its worker takes the run over. */
    TAKES_OVER,
    /** A claim in vain: dropped, and its worker is told to stop. */
    REFUSED,
    /** Dropped. */
    DROPPED
  }

  public static Holding of(Run run) {
    return new Holding(run.isTerminal(), run.attempt, run.dispatch, run.holder);
  }

  public Verdict judge(JobEvent event) {
    JobEvent.Holder h = event.holder();
    boolean status = event.payload() instanceof JobEvent.Status;
    if (ended) {
      return status && h != null ? Verdict.REFUSED : Verdict.DROPPED;
    }
    if (h == null) {
      return holder == null && event.attempt() >= attempt ? Verdict.HOLDER : Verdict.DROPPED;
    }
    boolean ofDispatch = dispatch == null || dispatch.equals(h.dispatch());
    boolean sameHold = h.record().equals(holder) && event.attempt() == attempt;
    if (!status) {
      return ofDispatch && sameHold ? Verdict.HOLDER : Verdict.DROPPED;
    }
    if (ofDispatch && event.attempt() > attempt) {
      return Verdict.TAKES_OVER;
    }
    return ofDispatch && sameHold ? Verdict.HOLDER : Verdict.REFUSED;
  }
}
