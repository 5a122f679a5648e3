package dev.bd3.gateway.runs;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.Json;
import dev.bd3.jobs.RunStatus;
import dev.bd3.jobs.TrainSpec;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import io.quarkus.panache.common.Parameters;
import io.quarkus.panache.common.Sort;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** One submitted job and its life cycle: QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED. */
@Entity
@Table(name = "runs")
public class Run extends PanacheEntityBase {
  @Id public UUID id;

  @Enumerated(EnumType.STRING)
  public JobType type;

  @Enumerated(EnumType.STRING)
  public RunStatus status;

  public String name;

  /** The principal that submitted the run (null for runs from before keys existed). */
  public String owner;

  /** The effective spec as published (JSON): references resolved, every default filled in. */
  @JdbcTypeCode(SqlTypes.JSON)
  public String spec;

  /** The code version of the worker that ran the current attempt. */
  @Column(name = "code_version")
  public String codeVersion;

  @Column(name = "idempotency_key")
  public String idempotencyKey;

  public int attempt;

  /** The current publication of the run's job ({@link dev.bd3.jobs.JobRequest#dispatch()}). */
  public String dispatch;

  /** The record of the dispatch whose worker holds the run (null: none has started it yet). */
  public String holder;

  /** The run's attempts before its current dispatch (deliveries count on from there). */
  @Column(name = "prior_attempts")
  public int priorAttempts;

  /** The run's failed attempts before its current dispatch. */
  @Column(name = "prior_failures")
  public int priorFailures;

  public String worker;
  public String error;

  @Column(name = "progress_step")
  public Long progressStep;

  @Column(name = "progress_total")
  public Long progressTotal;

  @Column(name = "eta_seconds")
  public Double etaSeconds;

  @Column(name = "created_at")
  public Instant createdAt;

  @Column(name = "started_at")
  public Instant startedAt;

  @Column(name = "attempt_started_at")
  public Instant attemptStartedAt;

  /** The job fails if it has not ended by then. */
  public Instant deadline;

  /** When the gateway last heard from the current attempt's worker (any event, heartbeats too). */
  @Column(name = "last_seen_at")
  public Instant lastSeenAt;

  @Column(name = "finished_at")
  public Instant finishedAt;

  @Column(name = "updated_at")
  public Instant updatedAt;

  @Column(name = "parent_run_id")
  public UUID parentRunId;

  @Column(name = "parent_checkpoint_id")
  public Long parentCheckpointId;

  /**
   * For a model imported in the authors' release layout rather than trained here (POST
   * /api/v1/models): the sha256 of the {@code model.safetensors} it came from, a fixed-width
   * char(64) column. Null for a run of a job.
   */
  @JdbcTypeCode(SqlTypes.CHAR)
  @Column(name = "imported_sha256")
  public String importedSha256;

  /** A sample run made by {@code POST /v1/completions} rather than submitted as a job. */
  public boolean served;

  /** A new QUEUED run with a fresh id. */
  public static Run queued(JobType type, String name, String specJson, String idempotencyKey) {
    Run run = new Run();
    run.id = UUID.randomUUID();
    run.type = type;
    run.status = RunStatus.QUEUED;
    run.name = name;
    run.spec = specJson;
    run.idempotencyKey = idempotencyKey;
    run.createdAt = now();
    run.updatedAt = run.createdAt;
    return run;
  }

  /**
   * A training run that ran elsewhere: the model imported from {@code model.safetensors} with this
   * sha256, described by {@code specJson} as far as a training spec can describe it, and ended as
   * it is recorded.
   */
  public static Run imported(UUID id, String name, String specJson, String weightsSha256) {
    Run run = new Run();
    run.id = id;
    run.type = JobType.TRAIN;
    run.status = RunStatus.SUCCEEDED;
    run.name = name;
    run.spec = specJson;
    run.importedSha256 = weightsSha256;
    run.createdAt = now();
    run.startedAt = run.createdAt;
    run.finishedAt = run.createdAt;
    run.updatedAt = run.createdAt;
    return run;
  }

  /** The run a model was imported as, by the sha256 of its {@code model.safetensors}. */
  public static Optional<Run> findImported(String weightsSha256) {
    return find("importedSha256", weightsSha256).firstResultOptional();
  }

  /** Now, to the microsecond that PostgreSQL keeps, so that a fresh view equals a stored one. */
  public static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MICROS);
  }

  /** A training run's spec with every default resolved (older runs stored theirs as sent). */
  public TrainSpec trainSpec() {
    if (type != JobType.TRAIN) {
      throw new IllegalStateException("run " + id + " is a " + type.json() + " run");
    }
    try {
      return Json.mapper().readValue(spec, TrainSpec.class).resolved();
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("run " + id + ": unreadable spec", e);
    }
  }

  /** A RUNNING run whose worker has not been heard from for {@code staleAfter}. */
  public boolean workerLost(Duration staleAfter) {
    Instant seen = lastSeenAt != null ? lastSeenAt : updatedAt;
    return status == RunStatus.RUNNING && seen.isBefore(Instant.now().minus(staleAfter));
  }

  /**
   * The failed attempts before the current one: those before the dispatch, and every earlier
   * delivery of it (a delivery that was not the last ended in a failure or a lost worker).
   */
  public int failedAttempts() {
    return priorFailures + Math.max(0, attempt - priorAttempts - 1);
  }

  /**
   * QUEUED runs unchanged since {@code before}, oldest first, after {@code after} in that order
   * (null: from the oldest): one page of them.
   */
  public static List<Run> queuedSince(Instant before, Run after, int limit) {
    Sort order = Sort.by("updatedAt").and("id");
    return (after == null
            ? find("status = ?1 and updatedAt < ?2", order, RunStatus.QUEUED, before)
            : find(
                "status = ?1 and updatedAt < ?2 and (updatedAt > ?3 or (updatedAt = ?3 and id > ?4))",
                order,
                RunStatus.QUEUED,
                before,
                after.updatedAt,
                after.id))
        .page(0, limit)
        .list();
  }

  /** Runs not ended by {@code before} although their deadline has passed, oldest first. */
  public static List<Run> overdue(Instant before, int limit) {
    return find(
            "status in ?1 and deadline < ?2",
            Sort.by("deadline"),
            List.of(RunStatus.QUEUED, RunStatus.RUNNING),
            before)
        .page(0, limit)
        .list();
  }

  /** RUNNING runs not heard from since {@code before}, oldest first. */
  public static List<Run> silentSince(Instant before, int limit) {
    return find(
            "status = ?1 and coalesce(lastSeenAt, updatedAt) < ?2",
            Sort.by("lastSeenAt"),
            RunStatus.RUNNING,
            before)
        .page(0, limit)
        .list();
  }

  public boolean isTerminal() {
    return status.isTerminal();
  }

  /** Ends the run; later status changes are ignored. */
  public void finish(RunStatus terminal, Instant time, String reason) {
    status = terminal;
    finishedAt = time;
    error = reason;
    updatedAt = now();
  }

  /** The owner's run first submitted with this Idempotency-Key (keys are per owner). */
  public static Optional<Run> findByIdempotencyKey(String owner, String key) {
    return find("owner = ?1 and idempotencyKey = ?2", owner, key).firstResultOptional();
  }

  /** The run with this id; empty for an unknown or malformed id. */
  public static Optional<Run> findByIdText(String id) {
    return parseId(id).flatMap(uuid -> Run.<Run>findByIdOptional(uuid));
  }

  public static Optional<UUID> parseId(String id) {
    try {
      return Optional.of(UUID.fromString(id.strip()));
    } catch (IllegalArgumentException | NullPointerException e) {
      return Optional.empty();
    }
  }

  /** Newest first, optionally of one owner, type and/or status. */
  public static List<Run> newest(
      Optional<String> owner, JobType type, RunStatus status, int offset, int limit) {
    List<String> where = new ArrayList<>();
    Parameters params = new Parameters();
    if (owner.isPresent()) {
      where.add("owner = :owner");
      params.and("owner", owner.get());
    }
    if (type != null) {
      where.add("type = :type");
      params.and("type", type);
    }
    if (status != null) {
      where.add("status = :status");
      params.and("status", status);
    }
    Sort newestFirst = Sort.descending("createdAt").and("id");
    var query =
        where.isEmpty()
            ? findAll(newestFirst)
            : find(String.join(" and ", where), newestFirst, params);
    return query.range(offset, offset + limit - 1).list();
  }

  /** How many runs are in each status (every status present, zero where none). */
  public static Map<RunStatus, Long> countByStatus() {
    Map<RunStatus, Long> counts = new EnumMap<>(RunStatus.class);
    for (RunStatus s : RunStatus.values()) {
      counts.put(s, 0L);
    }
    List<Object[]> rows =
        getEntityManager()
            .createQuery("select r.status, count(r) from Run r group by r.status", Object[].class)
            .getResultList();
    for (Object[] row : rows) {
      counts.put((RunStatus) row[0], (Long) row[1]);
    }
    return counts;
  }

  /**
   * Open runs (queued or running) of each job type: the work its worker pool has, what an
   * autoscaler scales that pool on.
   */
  public static Map<JobType, Long> countOpenByType() {
    Map<JobType, Long> counts = new EnumMap<>(JobType.class);
    for (JobType t : JobType.values()) {
      counts.put(t, 0L);
    }
    getEntityManager()
        .createQuery(
            "select r.type, count(r) from Run r where r.status in :open group by r.type",
            Object[].class)
        .setParameter("open", List.of(RunStatus.QUEUED, RunStatus.RUNNING))
        .getResultList()
        .forEach(row -> counts.put((JobType) row[0], (Long) row[1]));
    return counts;
  }
}
