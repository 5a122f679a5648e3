package dev.bd3.gateway.runs;

import dev.bd3.gateway.GatewayConfig;
import dev.bd3.gateway.auth.Caller;
import dev.bd3.gateway.auth.Role;
import dev.bd3.gateway.problems.ProblemException;
import dev.bd3.gateway.release.ModelStore;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.RunStatus;
import dev.bd3.model.spec.release.ReleaseLayout;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.ZipException;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The history: runs and what they produced. */
@Path("/api/v1/runs")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "runs")
@RolesAllowed({Role.READER_NAME, Role.SUBMITTER_NAME, Role.ADMIN_NAME})
public class RunResource {
  /** Deeper pages are a filter's job; this bounds the database's work for one request. */
  private static final int MAX_OFFSET = 1_000_000;

  private static final String RELEASE_ZIP = "application/zip";

  @Inject GatewayConfig config;
  @Inject Caller caller;
  @Inject ModelStore modelStore;

  @GET
  @Operation(
      operationId = "listRuns",
      summary = "Runs, newest first (a submitter's own only, unless it is a reader too)")
  public List<RunSummary> list(
      @Parameter(description = "train, eval or sample") @QueryParam("type") String type,
      @Parameter(description = "QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED")
          @QueryParam("status")
          String status,
      @Parameter(description = "at most this many (default 50)") @QueryParam("limit") Integer limit,
      @Parameter(description = "skip this many of the newest first (paging; default 0)")
          @QueryParam("offset")
          Integer offset,
      @Parameter(description = "only this owner's (a key's name)") @QueryParam("owner")
          String owner) {
    JobType jobType = null;
    if (type != null && !type.isBlank()) {
      jobType = JobType.parse(type);
      if (jobType == null) {
        throw ProblemException.invalid("type", "must be one of " + JobType.names());
      }
    }
    RunStatus runStatus = null;
    if (status != null && !status.isBlank()) {
      try {
        runStatus = RunStatus.valueOf(status.strip().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw ProblemException.invalid(
            "status", "must be one of QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED");
      }
    }
    int n = bounded("limit", limit, config.runs().defaultLimit(), config.runs().maxLimit());
    int skip = offset(offset);
    Optional<Optional<String>> owners = caller.listed(owner);
    if (owners.isEmpty()) {
      return List.of(); // another's runs are not this caller's to see
    }
    return Run.newest(owners.get(), jobType, runStatus, skip, n).stream()
        .map(RunSummary::of)
        .toList();
  }

  @GET
  @Path("{id}")
  @Operation(
      operationId = "getRun",
      summary = "A run with its progress, checkpoints, latest metrics, samples and results")
  @APIResponse(
      responseCode = "200",
      description = "The run",
      content = @Content(schema = @Schema(implementation = RunView.class)))
  @APIResponse(responseCode = "404", description = "No such run")
  public RunView get(@PathParam("id") String id) {
    return RunView.of(visible(caller, id), config.runs().staleAfter());
  }

  @GET
  @Path("{id}/metrics")
  @Operation(
      operationId = "listRunMetrics",
      summary = "A run's metric points, ordered by name and step",
      description =
          "Bounded: at most `limit` points (default and largest 10,000). For charts, `maxPoints`"
              + " keeps about that many points of each series, evenly spaced, the last one"
              + " always; to page through a series, name it and pass the last step seen as"
              + " `after`.")
  public List<MetricPoint> metrics(
      @PathParam("id") String id,
      @Parameter(description = "only this series, e.g. loss") @QueryParam("name") String name,
      @Parameter(description = "only steps after this one (paging one series)") @QueryParam("after")
          Long after,
      @Parameter(description = "at most about this many points a series (2 or more)")
          @QueryParam("maxPoints")
          Integer maxPoints,
      @Parameter(description = "at most this many points (default 10,000)") @QueryParam("limit")
          Integer limit) {
    int max = config.runs().maxMetricPoints();
    if (after != null && (name == null || name.isBlank())) {
      throw ProblemException.invalid("after", "pages one series: name it too");
    }
    if (maxPoints != null && (maxPoints < 2 || maxPoints > max)) {
      throw ProblemException.invalid("maxPoints", "must be between 2 and " + max);
    }
    return Metric.forRun(
            visible(caller, id).id,
            name,
            after == null ? Long.MIN_VALUE : after,
            maxPoints == null ? max : maxPoints,
            bounded("limit", limit, max, max))
        .stream()
        .map(MetricPoint::of)
        .toList();
  }

  @GET
  @Path("{id}/checkpoints")
  @Operation(
      operationId = "listRunCheckpoints",
      summary = "A run's checkpoints, by step (paged: limit, offset)")
  public List<RunView.CheckpointView> checkpoints(
      @PathParam("id") String id,
      @Parameter(description = "at most this many (default 100)") @QueryParam("limit")
          Integer limit,
      @Parameter(description = "skip this many (paging; default 0)") @QueryParam("offset")
          Integer offset) {
    return CheckpointRecord.forRun(visible(caller, id).id, offset(offset), items(limit)).stream()
        .map(RunView.CheckpointView::of)
        .toList();
  }

  @GET
  @Path("{id}/checkpoints/{step}/release")
  @Produces({RELEASE_ZIP, MediaType.APPLICATION_JSON})
  @Operation(
      operationId = "getCheckpointRelease",
      summary =
          "A checkpoint in the authors' release layout: a zip of config.json and"
              + " model.safetensors (the weights' moving average)",
      description =
          "`step` is a checkpoint's step or `latest`. The zip streams as it is converted; a"
              + " checkpoint that cannot be converted is a 409 before anything is sent.")
  public Response release(@PathParam("id") String id, @PathParam("step") String step) {
    Run run = visible(caller, id);
    Optional<CheckpointRecord> checkpoint =
        "latest".equals(step)
            ? CheckpointRecord.newest(run.id)
            : parseStep(step).flatMap(s -> CheckpointRecord.atStep(run.id, s));
    CheckpointRecord found =
        checkpoint.orElseThrow(
            () ->
                ProblemException.notFound(
                    "run " + run.id + " has no checkpoint at step " + step, null));
    ModelStore.Local file = modelStore.local(found.uri);
    ReleaseLayout.Export export;
    try {
      export = ReleaseLayout.export(file.path());
    } catch (IllegalArgumentException | ZipException e) {
      file.close();
      throw ProblemException.conflict(
          "the checkpoint at step " + found.step + " cannot be exported: " + e.getMessage());
    } catch (IOException e) {
      file.close();
      throw new UncheckedIOException(e);
    }
    StreamingOutput zip =
        out -> {
          try (file) {
            export.writeTo(out);
          }
        };
    return Response.ok(zip, RELEASE_ZIP)
        .header(
            "Content-Disposition",
            "attachment; filename=\"" + run.id + "-step-" + found.step + "-release.zip\"")
        .build();
  }

  @GET
  @Path("{id}/samples")
  @Operation(
      operationId = "listRunSamples",
      summary = "A run's samples, by index (paged: limit, offset)")
  public List<RunView.SampleView> samples(
      @PathParam("id") String id,
      @Parameter(description = "at most this many (default 100)") @QueryParam("limit")
          Integer limit,
      @Parameter(description = "skip this many (paging; default 0)") @QueryParam("offset")
          Integer offset) {
    return Sample.forRun(visible(caller, id).id, offset(offset), items(limit)).stream()
        .map(RunView.SampleView::of)
        .toList();
  }

  private int items(Integer limit) {
    return bounded("limit", limit, config.runs().defaultItems(), config.runs().maxItems());
  }

  private static int offset(Integer offset) {
    int skip = offset == null ? 0 : offset;
    if (skip < 0 || skip > MAX_OFFSET) {
      throw ProblemException.invalid("offset", "must be between 0 and " + MAX_OFFSET);
    }
    return skip;
  }

  /** A limit as asked for (or the default), refused outside 1 to {@code max}. */
  private static int bounded(String field, Integer asked, int byDefault, int max) {
    int n = asked == null ? byDefault : asked;
    if (n < 1 || n > max) {
      throw ProblemException.invalid(field, "must be between 1 and " + max);
    }
    return n;
  }

  private static Optional<Long> parseStep(String step) {
    try {
      return Optional.of(Long.parseLong(step));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** The run, if the caller may read it: another's is as unknown as one that does not exist. */
  static Run visible(Caller caller, String id) {
    return Run.findByIdText(id)
        .filter(caller::mayRead)
        .orElseThrow(() -> ProblemException.runNotFound(id));
  }
}
