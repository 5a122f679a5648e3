package dev.bd3.gateway;

import dev.bd3.jobs.RunStatus;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import java.time.Instant;
import org.jboss.logging.Logger;

/**
 * Ends the runs no worker will end: those whose worker died on their last attempt (the broker
 * archives such a job silently) and those past their deadline with nobody reporting it (a worker
 * stops a job at its deadline; this catches the ones with no worker at all). A RUNNING run that
 * went silent with attempts left waits for the broker to hand the job to another worker (its view
 * shows the worker as lost meanwhile).
 */
@ApplicationScoped
public class StaleRuns {
  private static final Logger LOG = Logger.getLogger(StaleRuns.class);

  @Inject GatewayConfig config;
  @Inject RunFinisher finisher;

  @Scheduled(
      every = "${bd3.gateway.runs.stale-check-every:10s}",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
      skipExecutionIf = Scheduled.ApplicationNotRunning.class)
  void check() {
    Instant before = Instant.now().minus(config.runs().staleAfter());
    QuarkusTransaction.requiringNew()
        .run(
            () ->
                Run.silentSince(before, 100).stream()
                    .filter(run -> run.attempt >= config.jobs().attempts())
                    .forEach(this::giveUp));
    // a worker ends a job at its deadline; allow it the time to say so
    Instant overdue = Instant.now().minus(config.runs().staleAfter());
    QuarkusTransaction.requiringNew().run(() -> Run.overdue(overdue, 100).forEach(this::expire));
  }

  private void expire(Run overdue) {
    Run run = Run.findById(overdue.id, LockModeType.PESSIMISTIC_WRITE);
    if (run.isTerminal()) {
      return;
    }
    String reason = "deadline exceeded (" + run.deadline + ")";
    if (run.status == RunStatus.QUEUED) {
      OutboxMessage.dropUnsent(config.topics().jobs(run.type), run.id.toString());
    }
    finisher.end(run, RunStatus.FAILED, reason);
    LOG.warnf("run %s: %s", run.id, reason);
  }

  private void giveUp(Run stale) {
    Run run = Run.findById(stale.id, LockModeType.PESSIMISTIC_WRITE);
    if (run.status != RunStatus.RUNNING) {
      return;
    }
    String reason =
        "gave up after "
            + run.attempt
            + " attempts: worker lost (silent since "
            + run.lastSeenAt
            + ")"
            + (run.error == null ? "" : "; last error: " + run.error);
    finisher.end(run, RunStatus.FAILED, reason);
    LOG.warnf("run %s: %s", run.id, reason);
  }
}
