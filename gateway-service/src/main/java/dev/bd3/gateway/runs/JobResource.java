package dev.bd3.gateway.runs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bd3.gateway.GatewayConfig;
import dev.bd3.gateway.auth.Caller;
import dev.bd3.gateway.auth.Role;
import dev.bd3.gateway.events.RunEvents;
import dev.bd3.gateway.problems.Problem;
import dev.bd3.jobs.JobEvent;
import dev.bd3.jobs.Json;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.persistence.PersistenceException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Submit a job, which becomes a run; follow and cancel runs. The history's reads are {@link
 * RunResource}'s, under the same path.
 */
@Path("/api/v1/runs")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "runs")
public class JobResource {

  @Inject JobService jobs;
  @Inject RunEvents events;
  @Inject ObjectMapper mapper;
  @Inject GatewayConfig config;
  @Inject Caller caller;

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  @RolesAllowed({Role.SUBMITTER_NAME, Role.ADMIN_NAME})
  @Operation(operationId = "submitJob", summary = "Submit a train, eval or sample job")
  @APIResponse(
      responseCode = "201",
      description = "Queued; Location names the run",
      content = @Content(schema = @Schema(implementation = RunView.class)))
  @APIResponse(
      responseCode = "200",
      description = "The run first submitted with this Idempotency-Key",
      content = @Content(schema = @Schema(implementation = RunView.class)))
  @APIResponse(
      responseCode = "400",
      description = "Invalid body; errors name the fields",
      content =
          @Content(
              mediaType = Problem.MEDIA_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @APIResponse(
      responseCode = "404",
      description = "spec.trainRunId or spec.judgeRunId names no run")
  @APIResponse(responseCode = "409", description = "That run has no (such) checkpoint")
  public Response submit(
      @RequestBody(content = @Content(schema = @Schema(implementation = JobSubmission.class)))
          JsonNode body,
      @Parameter(description = "a repeated key returns the first run instead of a new one")
          @HeaderParam("Idempotency-Key")
          String idempotencyKey,
      @Context UriInfo uri) {
    JobService.Submitted submitted;
    try {
      submitted = jobs.submit(body, idempotencyKey);
    } catch (PersistenceException e) {
      // a concurrent request with the same key committed first: answer with its run
      Optional<Run> first =
          idempotencyKey == null
              ? Optional.empty()
              : Run.findByIdempotencyKey(caller.name(), idempotencyKey);
      submitted = new JobService.Submitted(first.orElseThrow(() -> e), false);
    }
    RunView view = RunView.of(submitted.run(), staleAfter());
    return submitted.created()
        ? Response.created(uri.getAbsolutePathBuilder().path(view.id().toString()).build())
            .entity(view)
            .build()
        : Response.ok(view).build();
  }

  @POST
  @Path("{id}/cancel")
  @Operation(
      operationId = "cancelJob",
      summary = "Cancel a run: a queued one at once, a running one at its worker's next step")
  @APIResponse(
      responseCode = "202",
      description = "Cancelling: the run as it stands (a running one ends at its next step)",
      content = @Content(schema = @Schema(implementation = RunView.class)))
  @APIResponse(responseCode = "404", description = "No such run")
  @APIResponse(responseCode = "403", description = "Another's run (only an admin cancels it)")
  @APIResponse(responseCode = "409", description = "The run has already ended")
  @RolesAllowed({Role.SUBMITTER_NAME, Role.ADMIN_NAME})
  public Response cancel(@PathParam("id") String id) {
    return Response.accepted(RunView.of(jobs.cancel(id), staleAfter())).build();
  }

  @GET
  @Path("{id}/events")
  @Produces(MediaType.SERVER_SENT_EVENTS)
  @Blocking
  @Operation(
      operationId = "followJob",
      summary = "Follow a run live",
      description =
          "Server-Sent Events: first `run` (the run view), then each job event as the gateway"
              + " applies it, named by its kind (status, progress, metric, checkpoint, block,"
              + " sample, eval-result). Ends after a terminal status.")
  @APIResponse(
      responseCode = "200",
      description = "The run's events as they come, until it ends",
      content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS))
  @APIResponse(responseCode = "404", description = "No such run")
  @APIResponse(responseCode = "429", description = "The key already follows as many runs as it may")
  @RolesAllowed({Role.READER_NAME, Role.SUBMITTER_NAME, Role.ADMIN_NAME})
  public Multi<OutboundSseEvent> events(@PathParam("id") String id, @Context Sse sse) {
    Run run = RunResource.visible(caller, id);
    // subscribe before reading the view, so that nothing falls between the two
    Multi<JobEvent> live = events.follow(run, caller.name());
    RunView view = RunView.of(run, staleAfter());
    Multi<OutboundSseEvent> first = Multi.createFrom().item(event(sse, "run", write(mapper, view)));
    if (view.status().isTerminal()) {
      live.subscribe().with(e -> {}).cancel(); // nothing more will come: let go of the feed
      return first;
    }
    Multi<OutboundSseEvent> rest = live.map(e -> event(sse, kind(e), write(Json.mapper(), e)));
    return Multi.createBy().concatenating().streams(first, rest);
  }

  private Duration staleAfter() {
    return config.runs().staleAfter();
  }

  private static OutboundSseEvent event(Sse sse, String name, String json) {
    return sse.newEventBuilder().name(name).data(json).build();
  }

  /** The payload's JSON kind: {@code status}, {@code metric} ... */
  private static String kind(JobEvent event) {
    return Json.mapper().valueToTree(event).path("payload").path("kind").asText("event");
  }

  private static String write(ObjectMapper mapper, Object value) {
    try {
      return mapper.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
