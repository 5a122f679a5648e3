package dev.bd3.gateway.queue;

import dev.bd3.gateway.GatewayConfig;
import dev.bd3.gateway.runs.Run;
import dev.bd3.gateway.runs.RunFinisher;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.RunStatus;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Ends the runs no worker will end: those whose worker died on their last attempt (the broker
 * archives such a job silently) and those past their deadline with nobody reporting it (a worker
 * stops a job at its deadline; this catches the ones with no worker at all). A RUNNING run that
 * went silent with attempts left waits for the broker to hand the job to another worker (its view
 * shows the worker as lost meanwhile). A QUEUED run whose job the broker no longer holds (archived,
 * acknowledged without a word, deleted by retention) would wait until its deadline: its job is
 * published again, the loss counted as a failed attempt, or the run fails at the limit.
 */
@ApplicationScoped
public class StaleRuns {
  private static final Logger LOG = Logger.getLogger(StaleRuns.class);
  private static final int PAGE = 100;

  @Inject GatewayConfig config;
  @Inject RunFinisher finisher;
  @Inject JobDispatcher dispatcher;
  @Inject QueueProbe queues;

  /** A QUEUED run's job as last sent: the record to look for in its queue. */
  private record QueuedJob(UUID run, String dispatch, JobType type, int partition, long offset) {}

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
                    .filter(run -> run.failedAttempts() + 1 >= config.jobs().attempts())
                    .forEach(this::giveUp));
    // a worker ends a job at its deadline; allow it the time to say so
    Instant overdue = Instant.now().minus(config.runs().staleAfter());
    QuarkusTransaction.requiringNew().run(() -> Run.overdue(overdue, 100).forEach(this::expire));
    findLostJobs(before);
  }

  /**
   * Looks for the jobs of QUEUED runs that nothing has happened to since {@code before} in their
   * queues (outside any transaction: the broker may be slow), then acts on those that are gone.
   */
  private void findLostJobs(Instant before) {
    // every stale QUEUED run, page by page: runs whose records the queue still holds stay the
    // oldest, and must not hide newer ones whose records are gone
    Map<JobType, Optional<QueueProbe.Start>> starts = new EnumMap<>(JobType.class);
    Page page = null;
    do {
      Run after = page == null ? null : page.last();
      page =
          QuarkusTransaction.requiringNew()
              .call(
                  () -> {
                    List<Run> runs = Run.queuedSince(before, after, PAGE);
                    return new Page(
                        runs.stream().map(this::sent).flatMap(Optional::stream).toList(),
                        runs.isEmpty() ? null : runs.get(runs.size() - 1),
                        runs.size());
                  });
      republishLost(page.jobs(), before, starts);
    } while (page.size() == PAGE);
  }

  /** One page of stale QUEUED runs: their sent records, the last run, how many there were. */
  private record Page(List<QueuedJob> jobs, Run last, int size) {}

  /** Publishes again (or fails) the jobs whose records their queues no longer hold. */
  private void republishLost(
      List<QueuedJob> waiting, Instant before, Map<JobType, Optional<QueueProbe.Start>> starts) {
    for (QueuedJob job : waiting) {
      boolean held =
          starts
              .computeIfAbsent(job.type(), queues::start)
              .map(start -> start.holds(job.partition(), job.offset()))
              .orElse(true); // the broker cannot tell now: ask again next time
      if (!held) {
        QuarkusTransaction.requiringNew().run(() -> republish(job, before));
      }
    }
  }

  /** The record of a QUEUED run's current dispatch, if it was sent (and where is known). */
  private Optional<QueuedJob> sent(Run run) {
    return OutboxMessage.newest(config.topics().jobs(run.type), run.id.toString())
        .filter(m -> m.sentAt != null && m.sentPartition != null && m.sentPartition >= 0)
        .filter(m -> run.dispatch != null && m.payload.contains(run.dispatch))
        .map(m -> new QueuedJob(run.id, run.dispatch, run.type, m.sentPartition, m.sentOffset));
  }

  private void republish(QueuedJob job, Instant before) {
    Run run = Run.findById(job.run(), LockModeType.PESSIMISTIC_WRITE);
    if (run.status != RunStatus.QUEUED
        || !job.dispatch().equals(run.dispatch)
        || run.updatedAt.isAfter(before)) {
      return; // something happened meanwhile
    }
    int failures = run.failedAttempts() + 1; // the lost record counts as a failed attempt
    String lost =
        "the queue no longer held the job (record " + job.partition() + "@" + job.offset() + ")";
    if (failures >= config.jobs().attempts()) {
      String reason = "gave up after " + failures + " attempts: " + lost;
      finisher.end(run, RunStatus.FAILED, reason);
      LOG.warnf("run %s: %s", run.id, reason);
      return;
    }
    run.error = lost + "; published again";
    run.updatedAt = Run.now();
    dispatcher.publish(run, failures);
    LOG.warnf("run %s: %s", run.id, run.error);
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
            + (run.failedAttempts() + 1)
            + " attempts: worker lost (silent since "
            + run.lastSeenAt
            + ")"
            + (run.error == null ? "" : "; last error: " + run.error);
    finisher.end(run, RunStatus.FAILED, reason);
    LOG.warnf("run %s: %s", run.id, reason);
  }
}
