package dev.bd3.gateway.runs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.Json;
import dev.bd3.jobs.RunStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Everything known about one run: {@code GET /api/v1/runs/{id}}. {@code spec} is the effective spec
 * (every default filled in) and {@code codeVersion} the version of the worker that ran it; {@code
 * importedSha256}, of a model imported rather than trained here, the sha256 of the weights it came
 * from (its spec then describes the model, not a job that ran); {@code served}, of a sample run,
 * that it answered a completion request ({@code POST /v1/completions}); {@code workerLost} says
 * that a RUNNING run's worker has not been heard from for too long; {@code failedAttempts} counts
 * the attempts that failed or lost their worker (a graceful stop is none). The view is bounded: the
 * newest {@value #ITEMS} checkpoints and the first {@value #ITEMS} samples, with their counts; the
 * paged endpoints have the rest.
 */
public record RunView(
    UUID id,
    JobType type,
    RunStatus status,
    String name,
    String owner,
    JsonNode spec,
    String error,
    int attempt,
    int failedAttempts,
    String worker,
    String codeVersion,
    String importedSha256,
    boolean served,
    Instant lastSeenAt,
    boolean workerLost,
    Instant createdAt,
    Instant startedAt,
    Instant finishedAt,
    Instant deadline,
    Progress progress,
    List<CheckpointView> checkpoints,
    long checkpointCount,
    Map<String, Double> latestMetrics,
    List<SampleView> samples,
    long sampleCount,
    List<EvalResultView> evalResults) {

  /** The most checkpoints and samples a view carries. */
  public static final int ITEMS = 100;

  /** How far the job is; null until the worker reports progress. */
  public record Progress(Long step, Long total, Double etaSeconds) {
    static Progress of(Run run) {
      return run.progressStep == null && run.progressTotal == null
          ? null
          : new Progress(run.progressStep, run.progressTotal, run.etaSeconds);
    }
  }

  public record CheckpointView(
      long step, String uri, String sha256, long bytes, Map<String, Double> metrics) {
    static CheckpointView of(CheckpointRecord c) {
      return new CheckpointView(c.step, c.uri, c.sha256, c.bytes, metricsOf(c.metrics));
    }
  }

  public record SampleView(
      int index, String text, int tokens, int nfe, String stopReason, double entropy) {
    static SampleView of(Sample s) {
      return new SampleView(s.idx, s.text, s.tokens, s.nfe, s.stopReason, s.entropy);
    }
  }

  public record EvalResultView(String checkpoint, String metric, double value) {
    static EvalResultView of(EvalResult r) {
      return new EvalResultView(r.checkpointUri, r.metric, r.value);
    }
  }

  /** Reads the run's results from the database (call inside a transaction or request). */
  public static RunView of(Run run, Duration staleAfter) {
    return new RunView(
        run.id,
        run.type,
        run.status,
        run.name,
        run.owner,
        tree(run.spec),
        run.error,
        run.attempt,
        run.failedAttempts(),
        run.worker,
        run.codeVersion,
        run.importedSha256,
        run.served,
        run.lastSeenAt,
        run.workerLost(staleAfter),
        run.createdAt,
        run.startedAt,
        run.finishedAt,
        run.deadline,
        Progress.of(run),
        CheckpointRecord.newest(run.id, ITEMS).stream().map(CheckpointView::of).toList(),
        CheckpointRecord.count("runId", run.id),
        Metric.latest(run.id),
        Sample.forRun(run.id, 0, ITEMS).stream().map(SampleView::of).toList(),
        Sample.count("runId", run.id),
        EvalResult.forRun(run.id).stream().map(EvalResultView::of).toList());
  }

  static JsonNode tree(String json) {
    try {
      return Json.mapper().readTree(json == null ? "{}" : json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored JSON is unreadable", e);
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Double> metricsOf(String json) {
    try {
      return json == null ? Map.of() : Json.mapper().readValue(json, Map.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored JSON is unreadable", e);
    }
  }
}
