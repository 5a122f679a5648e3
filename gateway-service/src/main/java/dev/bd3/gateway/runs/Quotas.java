package dev.bd3.gateway.runs;

import dev.bd3.gateway.AdvisoryLock;
import dev.bd3.gateway.GatewayConfig;
import dev.bd3.gateway.problems.ProblemException;
import dev.bd3.jobs.JobSpec;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.RunStatus;
import dev.bd3.jobs.SampleSpec;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * What one principal may have under way ({@link GatewayConfig.Quotas}): open runs, jobs per hour,
 * sampled tokens per hour. Checked in the submitting transaction under a lock per principal, so
 * that concurrent submissions cannot pass a limit together.
 */
@ApplicationScoped
public class Quotas {
  private static final Duration WINDOW = Duration.ofHours(1);

  /** When a slot frees up is unknown while runs are open: a client may look again after this. */
  private static final Duration OPEN_RUNS_RETRY = Duration.ofSeconds(30);

  @Inject GatewayConfig config;
  @Inject EntityManager em;

  /** Refuses (429 with Retry-After) a job that would take {@code owner} over a quota. */
  void admit(String owner, JobSpec spec) {
    GatewayConfig.Quotas q = config.quotas();
    AdvisoryLock.hold(em, owner);
    long open =
        Run.count(
            "owner = ?1 and status in ?2", owner, List.of(RunStatus.QUEUED, RunStatus.RUNNING));
    if (open >= q.concurrentJobs()) {
      throw ProblemException.tooMany(
          "%d runs are queued or running; the limit is %d (BD3_GATEWAY_QUOTAS_CONCURRENT_JOBS)"
              .formatted(open, q.concurrentJobs()),
          OPEN_RUNS_RETRY);
    }
    Instant now = Run.now();
    Instant since = now.minus(WINDOW);
    long lastHour = Run.count("owner = ?1 and createdAt > ?2", owner, since);
    if (lastHour >= q.jobsPerHour()) {
      throw ProblemException.tooMany(
          "%d jobs in the last hour; the limit is %d (BD3_GATEWAY_QUOTAS_JOBS_PER_HOUR)"
              .formatted(lastHour, q.jobsPerHour()),
          untilOldestLeaves(owner, null, since, now));
    }
    if (spec instanceof SampleSpec s) {
      long asked = (long) s.numSamples() * s.maxTokens();
      long used = sampledTokens(owner, since);
      if (asked > q.sampledTokensPerHour()) {
        throw ProblemException.overLimit(
            String.format(
                Locale.ROOT,
                "asks for %d tokens; at most %d may be sampled in an hour"
                    + " (BD3_GATEWAY_QUOTAS_SAMPLED_TOKENS_PER_HOUR)",
                asked,
                q.sampledTokensPerHour()),
            "spec");
      }
      if (used + asked > q.sampledTokensPerHour()) {
        throw ProblemException.tooMany(
            "%d tokens sampled in the last hour and %d asked; the limit is %d (BD3_GATEWAY_QUOTAS_SAMPLED_TOKENS_PER_HOUR)"
                .formatted(used, asked, q.sampledTokensPerHour()),
            untilOldestLeaves(owner, JobType.SAMPLE, since, now));
      }
    }
  }

  /** Tokens the owner's sample jobs of the window asked for (their stored, effective specs). */
  private long sampledTokens(String owner, Instant since) {
    Number sum =
        (Number)
            em.createNativeQuery(
                    "select coalesce(sum((spec->>'numSamples')::bigint"
                        + " * (spec->>'maxTokens')::bigint), 0) from runs"
                        + " where owner = ?1 and type = 'SAMPLE' and created_at > ?2")
                .setParameter(1, owner)
                .setParameter(2, since)
                .getSingleResult();
    return sum.longValue();
  }

  /** How long until the owner's oldest run of the window (of {@code type}, if given) leaves it. */
  private Duration untilOldestLeaves(String owner, JobType type, Instant since, Instant now) {
    var query =
        em.createQuery(
                "select min(r.createdAt) from Run r where r.owner = :owner and r.createdAt > :since"
                    + (type == null ? "" : " and r.type = :type"),
                Instant.class)
            .setParameter("owner", owner)
            .setParameter("since", since);
    if (type != null) {
      query.setParameter("type", type);
    }
    Instant first = query.getSingleResult();
    return Duration.between(now, (first == null ? now : first).plus(WINDOW));
  }
}
