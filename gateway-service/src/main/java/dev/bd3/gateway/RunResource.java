package dev.bd3.gateway;

import dev.bd3.jobs.JobType;
import dev.bd3.jobs.RunStatus;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Locale;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The history: runs and what they produced. */
@Path("/api/v1/runs")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "runs")
public class RunResource {

  @Inject GatewayConfig config;

  @GET
  @Operation(summary = "Runs, newest first")
  public List<RunSummary> list(
      @Parameter(description = "train, eval or sample") @QueryParam("type") String type,
      @Parameter(description = "QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED")
          @QueryParam("status")
          String status,
      @Parameter(description = "at most this many (default 50)") @QueryParam("limit")
          Integer limit) {
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
    int max = config.runs().maxLimit();
    int n = limit == null ? config.runs().defaultLimit() : limit;
    if (n < 1 || n > max) {
      throw ProblemException.invalid("limit", "must be between 1 and " + max);
    }
    return Run.newest(jobType, runStatus, n).stream().map(RunSummary::of).toList();
  }

  @GET
  @Path("{id}")
  @Operation(summary = "A run (the same view as GET /api/v1/jobs/{id})")
  public RunView get(@PathParam("id") String id) {
    return RunView.of(require(id), config.runs().staleAfter());
  }

  @GET
  @Path("{id}/metrics")
  @Operation(summary = "A run's metric points, ordered by name and step")
  public List<MetricPoint> metrics(
      @PathParam("id") String id,
      @Parameter(description = "only this series, e.g. loss") @QueryParam("name") String name) {
    return Metric.forRun(require(id).id, name).stream().map(MetricPoint::of).toList();
  }

  @GET
  @Path("{id}/checkpoints")
  @Operation(summary = "A run's checkpoints, by step")
  public List<RunView.CheckpointView> checkpoints(@PathParam("id") String id) {
    return Checkpoint.forRun(require(id).id).stream().map(RunView.CheckpointView::of).toList();
  }

  @GET
  @Path("{id}/samples")
  @Operation(summary = "A run's samples, by index")
  public List<RunView.SampleView> samples(@PathParam("id") String id) {
    return Sample.forRun(require(id).id).stream().map(RunView.SampleView::of).toList();
  }

  private static Run require(String id) {
    return Run.findByIdText(id).orElseThrow(() -> ProblemException.runNotFound(id));
  }
}
