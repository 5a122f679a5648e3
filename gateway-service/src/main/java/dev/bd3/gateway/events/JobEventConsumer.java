package dev.bd3.gateway.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.bd3.gateway.queue.JobDispatcher;
import dev.bd3.gateway.runs.CheckpointRecord;
import dev.bd3.gateway.runs.EvalResult;
import dev.bd3.gateway.runs.Metric;
import dev.bd3.gateway.runs.Run;
import dev.bd3.gateway.runs.Sample;
import dev.bd3.jobs.JobEvent;
import dev.bd3.jobs.Json;
import dev.bd3.jobs.RunStatus;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Applies what workers report ({@code bd3.job-events}) to the database. Every change is idempotent,
 * so a redelivered event changes nothing: statuses only move forward, results are upserts keyed by
 * what identifies them. Only the run's one holder counts ({@link Holding}): events of anyone else
 * (a worker that lost the job, a copy of its record, an old record of a job handed on since) are
 * dropped, and a worker that claims the run in vain is told to stop ({@link JobDispatcher#fence}).
 * Nothing changes a run that has ended. A worker that stops hands its job back, and the job is
 * published again.
 *
 * <p>Messages that cannot be read, that lack what an event needs, or whose data the database
 * refuses, go to {@code bd3.jobs.dlq} and the consumer goes on. A readable event whose transaction
 * fails otherwise (the database is away) is retried in place, in order, until it is applied: the
 * consumer waits (Kafka pauses the partition), and no good event goes to the dead-letter topic
 * because the database was down.
 */
@ApplicationScoped
public class JobEventConsumer {
  private static final Logger LOG = Logger.getLogger(JobEventConsumer.class);
  private static final int MAX_NAME = 100;
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
  private static final int REFUSED_TRIES = 3;

  @Inject JobDispatcher dispatcher;

  private volatile boolean stopping;

  void onStop(@Observes ShutdownEvent event) {
    stopping = true;
  }

  @Incoming("job-events")
  @Blocking
  public void on(JobEvent event) throws InterruptedException {
    check(event);
    if (event.payload() instanceof JobEvent.Block) {
      return; // streamed live (RunEvents) and never stored: no transaction for it
    }
    Duration backoff = Duration.ofMillis(200);
    for (int attempt = 1; ; attempt++) {
      try {
        QuarkusTransaction.requiringNew().run(() -> apply(event));
        return;
      } catch (RuntimeException e) {
        if (stopping) {
          throw e; // not acknowledged: the next start applies it
        }
        if (refusedForGood(e) && attempt >= REFUSED_TRIES) {
          throw e; // the database refuses this event's data: to the dead-letter topic
        }
        if (attempt == 1 || attempt % 20 == 0) {
          LOG.warnf(
              "event for run %s not applied (try %d): %s; retrying until it is",
              event.runId(), attempt, e.getMessage());
        }
        Thread.sleep(backoff.toMillis());
        backoff = backoff.multipliedBy(2);
        if (backoff.compareTo(MAX_BACKOFF) > 0) {
          backoff = MAX_BACKOFF;
        }
      }
    }
  }

  /**
   * Whether the database refused the event's data (SQL states 22: data, 23: integrity, 42: syntax
   * or access), which no retry mends; anything else (the database away, a conflict) is retried.
   */
  static boolean refusedForGood(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        return state.startsWith("22") || state.startsWith("23") || state.startsWith("42");
      }
    }
    return false;
  }

  /**
   * Applies one event in the caller's transaction; events of unknown runs, and of anyone but the
   * run's holder, are skipped.
   */
  void apply(JobEvent event) {
    Optional<Run> found =
        Run.parseId(event.runId()).map(id -> Run.<Run>findById(id, LockModeType.PESSIMISTIC_WRITE));
    if (found.isEmpty()) {
      LOG.infof("event for unknown run %s skipped", event.runId());
      return;
    }
    Run run = found.get();
    if (!admitted(run, event)) {
      LOG.debugf(
          "run %s: event of attempt %d (%s) dropped (attempt %d, holder %s)",
          run.id, event.attempt(), event.holder(), run.attempt, run.holder);
      return;
    }
    boolean newAttempt = event.attempt() > run.attempt;
    run.attempt = event.attempt();
    run.lastSeenAt = Run.now();
    Instant time = event.time() != null ? event.time().truncatedTo(ChronoUnit.MICROS) : Run.now();
    JobEvent.Payload payload = event.payload();
    if (payload instanceof JobEvent.Status s) {
      applyStatus(run, s, event, time, newAttempt);
    } else if (payload instanceof JobEvent.HandedBack h) {
      handOn(run, h);
    } else if (payload instanceof JobEvent.Progress p) {
      run.progressStep = p.step();
      run.progressTotal = p.total();
      run.etaSeconds = p.etaSeconds();
      run.updatedAt = Run.now();
    } else if (payload instanceof JobEvent.Metric m) {
      Metric.upsert(run.id, m.name(), m.step(), m.value(), time);
    } else if (payload instanceof JobEvent.CheckpointWritten c) {
      CheckpointRecord.upsert(
          run.id, c.step(), c.uri(), c.sha256(), c.bytes(), json(c.metrics()), time);
    } else if (payload instanceof JobEvent.CheckpointRemoved c) {
      CheckpointRecord.delete("runId = ?1 and step = ?2", run.id, c.step());
    } else if (payload instanceof JobEvent.Sample s) {
      Sample.upsert(
          run.id, s.index(), s.text(), s.tokens(), s.nfe(), s.stopReason(), s.entropy(), time);
    } else if (payload instanceof JobEvent.EvalResult r) {
      EvalResult.upsert(run.id, r.checkpoint(), r.metric(), r.value(), time);
    }
    // Heartbeat: streamed only (RunEvents), not stored; it keeps lastSeenAt
  }

  /**
   * Whether the event counts ({@link Holding}): a worker that takes the run over is granted the
   * hold and its predecessor fenced off; one refused is fenced off.
   */
  private boolean admitted(Run run, JobEvent event) {
    return switch (Holding.of(run).judge(event)) {
      case HOLDER -> {
        if (event.holder() != null
            && event.payload() instanceof JobEvent.Status s
            && s.status() == RunStatus.RUNNING) {
          // the same delivery started again: a broker that restarted may hand a record out anew
          // with the same delivery count, to a worker that waits for its grant
          dispatcher.grant(run, event.attempt(), event.holder());
        }
        yield true;
      }
      case TAKES_OVER -> {
        String before = run.holder;
        run.holder = event.holder().record();
        if (before != null) { // whoever held it before stops
          dispatcher.fence(
              run, run.attempt, new JobEvent.Holder(event.holder().dispatch(), before));
        }
        dispatcher.grant(run, event.attempt(), event.holder());
        yield true;
      }
      case REFUSED -> {
        dispatcher.fence(run, event.attempt(), event.holder());
        yield false;
      }
      case DROPPED -> false;
    };
  }

  /**
   * The holder stopped and acknowledged its record: the job goes back to the queue as a new
   * dispatch, with no failure counted for the attempt that was stopped.
   */
  private void handOn(Run run, JobEvent.HandedBack h) {
    int failures = run.failedAttempts();
    run.status = RunStatus.QUEUED;
    run.error = h.reason();
    run.updatedAt = Run.now();
    dispatcher.publish(run, failures);
    LOG.infof("run %s handed back (%s); published again", run.id, h.reason());
  }

  /** Rejects (to the dead-letter topic) an event that can never be applied. */
  private static void check(JobEvent event) {
    if (event == null || event.runId() == null || event.payload() == null) {
      throw new IllegalArgumentException("a job event needs a runId and a payload");
    }
    String problem = null;
    if (event.payload() instanceof JobEvent.Metric m && !fits(m.name())) {
      problem = "a metric needs a name of at most " + MAX_NAME + " characters";
    } else if (event.payload() instanceof JobEvent.CheckpointWritten c && c.uri() == null) {
      problem = "a checkpoint needs a uri";
    } else if (event.payload() instanceof JobEvent.EvalResult r && !fits(r.metric())) {
      problem = "an eval result needs a metric of at most " + MAX_NAME + " characters";
    } else if (event.payload() instanceof JobEvent.Sample s
        && s.stopReason() != null
        && !fits(s.stopReason())) {
      problem = "a stop reason has at most " + MAX_NAME + " characters";
    }
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
  }

  private static boolean fits(String name) {
    return name != null && !name.isBlank() && name.length() <= MAX_NAME;
  }

  /**
   * Statuses move forward only: a terminal run ignores every later status. A RUNNING of a later
   * attempt starts that attempt (the job was delivered again, to this or another worker); the same
   * RUNNING redelivered changes nothing. A QUEUED from a worker gives the job back for another
   * attempt, with the reason.
   */
  private static void applyStatus(
      Run run, JobEvent.Status s, JobEvent event, Instant time, boolean newAttempt) {
    if (run.isTerminal() || s.status() == null) {
      return;
    }
    switch (s.status()) {
      case RUNNING -> {
        if (!newAttempt && run.status == RunStatus.RUNNING) {
          return; // the same RUNNING again
        }
        run.status = RunStatus.RUNNING;
        run.attemptStartedAt = time;
        if (run.startedAt == null) {
          run.startedAt = time;
        }
        run.worker = event.worker();
        run.codeVersion = event.version();
        run.updatedAt = Run.now();
        LOG.infof("run %s running on %s (attempt %d)", run.id, event.worker(), run.attempt);
      }
      case QUEUED -> {
        run.status = RunStatus.QUEUED;
        run.error = s.reason();
        run.updatedAt = Run.now();
        LOG.infof("run %s back in the queue: %s", run.id, s.reason());
      }
      default -> {
        if (run.worker == null) {
          run.worker = event.worker();
        }
        run.finish(s.status(), time, s.reason());
        LOG.infof("run %s %s%s", run.id, s.status(), s.reason() == null ? "" : ": " + s.reason());
      }
    }
  }

  private static String json(Map<String, Double> metrics) {
    try {
      return Json.mapper().writeValueAsString(metrics == null ? Map.of() : metrics);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
