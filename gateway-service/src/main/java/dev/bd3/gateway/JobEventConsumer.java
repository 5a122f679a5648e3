package dev.bd3.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.bd3.jobs.JobEvent;
import dev.bd3.jobs.Json;
import dev.bd3.jobs.RunStatus;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
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
 * what identifies them.
 *
 * <p>Messages that cannot be read, or that lack what an event needs, go to {@code bd3.jobs.dlq} and
 * the consumer goes on. A readable event whose transaction fails (the database is away) is retried
 * in place, in order, for a while before it goes there too: a short outage must not send good
 * events to the dead-letter topic.
 */
@ApplicationScoped
public class JobEventConsumer {
  private static final Logger LOG = Logger.getLogger(JobEventConsumer.class);
  private static final int MAX_NAME = 100;
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  @Inject Event<RunEvents.Applied> applied;
  @Inject GatewayConfig config;

  private volatile boolean stopping;

  void onStop(@Observes ShutdownEvent event) {
    stopping = true;
  }

  @Incoming("job-events")
  @Blocking
  public void on(JobEvent event) throws InterruptedException {
    check(event);
    Duration backoff = Duration.ofMillis(200);
    for (int attempt = 1; ; attempt++) {
      try {
        QuarkusTransaction.requiringNew().run(() -> apply(event));
        return;
      } catch (RuntimeException e) {
        if (stopping || attempt >= config.events().attempts()) {
          throw e;
        }
        LOG.warnf(
            "event for run %s not applied (attempt %d): %s; retrying in %d ms",
            event.runId(), attempt, e.getMessage(), backoff.toMillis());
        Thread.sleep(backoff.toMillis());
        backoff = backoff.multipliedBy(2);
        if (backoff.compareTo(MAX_BACKOFF) > 0) {
          backoff = MAX_BACKOFF;
        }
      }
    }
  }

  /** Applies one event in the caller's transaction; events of unknown runs are skipped. */
  void apply(JobEvent event) {
    Optional<Run> found =
        Run.parseId(event.runId()).map(id -> Run.<Run>findById(id, LockModeType.PESSIMISTIC_WRITE));
    if (found.isEmpty()) {
      LOG.infof("event for unknown run %s skipped", event.runId());
      return;
    }
    Run run = found.get();
    Instant time = event.time() != null ? event.time().truncatedTo(ChronoUnit.MICROS) : Run.now();
    JobEvent.Payload payload = event.payload();
    if (payload instanceof JobEvent.Status s) {
      applyStatus(run, s, event, time);
    } else if (payload instanceof JobEvent.Progress p) {
      if (!run.isTerminal()) {
        run.progressStep = p.step();
        run.progressTotal = p.total();
        run.etaSeconds = p.etaSeconds();
        run.updatedAt = Run.now();
      }
    } else if (payload instanceof JobEvent.Metric m) {
      Metric.upsert(run.id, m.name(), m.step(), m.value(), time);
    } else if (payload instanceof JobEvent.CheckpointWritten c) {
      Checkpoint.upsert(run.id, c.step(), c.uri(), c.sha256(), c.bytes(), json(c.metrics()), time);
    } else if (payload instanceof JobEvent.Sample s) {
      Sample.upsert(
          run.id, s.index(), s.text(), s.tokens(), s.nfe(), s.stopReason(), s.entropy(), time);
    } else if (payload instanceof JobEvent.EvalResult r) {
      EvalResult.upsert(run.id, r.checkpoint(), r.metric(), r.value(), time);
    }
    // Block: streamed only, not stored
    applied.fire(new RunEvents.Applied(run.id, event));
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
   * Statuses move forward only: a terminal run ignores every later status. A RUNNING whose time is
   * after the current attempt's start is a new attempt (the job was delivered again, to this or
   * another worker); the same RUNNING redelivered is not.
   */
  private static void applyStatus(Run run, JobEvent.Status s, JobEvent event, Instant time) {
    String worker = event.worker();
    if (run.isTerminal() || s.status() == null || s.status() == RunStatus.QUEUED) {
      return;
    }
    if (s.status() == RunStatus.RUNNING) {
      if (run.attemptStartedAt != null && !time.isAfter(run.attemptStartedAt)) {
        return;
      }
      run.status = RunStatus.RUNNING;
      run.attempt++;
      run.attemptStartedAt = time;
      if (run.startedAt == null) {
        run.startedAt = time;
      }
      run.worker = worker;
      run.codeVersion = event.version();
      run.updatedAt = Run.now();
      LOG.infof("run %s running on %s (attempt %d)", run.id, worker, run.attempt);
    } else {
      if (run.worker == null) {
        run.worker = worker;
      }
      run.finish(s.status(), time, s.reason());
      LOG.infof("run %s %s%s", run.id, s.status(), s.reason() == null ? "" : ": " + s.reason());
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
