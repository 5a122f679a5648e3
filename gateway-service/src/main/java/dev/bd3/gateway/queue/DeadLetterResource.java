package dev.bd3.gateway.queue;

import dev.bd3.gateway.auth.Role;
import dev.bd3.gateway.problems.ProblemException;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** What was parked in the dead-letter topic, and its replay (an operator's tool). */
@Path("/api/v1/dead-letters")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "dead letters")
@RolesAllowed(Role.ADMIN_NAME)
public class DeadLetterResource {
  @Inject DeadLetters deadLetters;

  @GET
  @Operation(
      operationId = "listDeadLetters",
      summary = "The newest parked messages, with why and where from")
  public List<DeadLetters.DeadLetter> list(@QueryParam("limit") @DefaultValue("50") int limit) {
    if (limit < 1 || limit > 1000) {
      throw ProblemException.invalid("limit", "must be between 1 and 1000");
    }
    return deadLetters.newest(limit);
  }

  @POST
  @Path("{partition}/{offset}/replay")
  @Operation(
      operationId = "replayDeadLetter",
      summary = "Publish a parked message again to its topic; a replayed job's run is QUEUED again")
  public DeadLetters.DeadLetter replay(
      @PathParam("partition") int partition, @PathParam("offset") long offset) {
    return deadLetters.replay(
        deadLetters
            .at(partition, offset)
            .orElseThrow(
                () ->
                    ProblemException.notFound(
                        "no dead letter at " + partition + "/" + offset, null)));
  }
}
