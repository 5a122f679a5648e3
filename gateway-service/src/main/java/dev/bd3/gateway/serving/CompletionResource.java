package dev.bd3.gateway.serving;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bd3.gateway.auth.Caller;
import dev.bd3.gateway.auth.Role;
import dev.bd3.gateway.problems.ProblemException;
import dev.bd3.gateway.problems.ProblemMapper;
import dev.bd3.gateway.runs.Run;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.Json;
import io.smallrye.common.annotation.Blocking;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The OpenAI-compatible API, so that the clients people already use (OpenAI's libraries, LangChain,
 * evaluation harnesses) talk to a BD3-LM: {@code POST /v1/completions} (streamed as server-sent
 * {@code data:} chunks, one per committed block, then {@code data: [DONE]}) and {@code GET
 * /v1/models}. API keys are the bearer token; errors come in OpenAI's shape.
 */
@Path("/v1")
@Tag(name = "openai")
public class CompletionResource {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final int MAX_MODELS = 100;

  @Inject Completions completions;
  @Inject Caller caller;

  @POST
  @Path("completions")
  @Consumes(MediaType.APPLICATION_JSON)
  @Produces({MediaType.APPLICATION_JSON, MediaType.SERVER_SENT_EVENTS})
  @Blocking
  @RolesAllowed({Role.SUBMITTER_NAME, Role.ADMIN_NAME})
  @Operation(
      operationId = "createCompletion",
      summary = "Complete text (OpenAI's completions API)",
      description =
          "model (a training run's id or name), prompt (a string or a list), max_tokens,"
              + " temperature, top_p, seed, stop, n, stream; extensions: sampler, confidence,"
              + " tokens_per_step, steps. Each prompt is a sample run, marked served.")
  public Response complete(CompletionRequest request) {
    if (request == null) {
      throw ProblemException.invalid("model", "required: a training run's id or name");
    }
    Completions.Underway underway = completions.start(request);
    if (!Boolean.TRUE.equals(request.stream())) {
      underway.follow(choice -> {});
      ObjectNode body = head(underway);
      ArrayNode choices = body.putArray("choices");
      underway.choices.forEach(c -> choices.add(choice(c, c.text(), c.finishReason())));
      body.set("usage", underway.usage());
      return Response.ok(body, MediaType.APPLICATION_JSON).build();
    }
    StreamingOutput stream =
        out -> {
          try {
            underway.follow(
                c -> {
                  String text = c.unsent();
                  boolean end = c.finishToTell();
                  if (!text.isEmpty() || end) {
                    chunk(out, underway, choice(c, text, end ? c.finishReason() : null));
                  }
                });
            ObjectNode last = head(underway);
            last.putArray("choices");
            last.set("usage", underway.usage());
            send(out, last.toString());
          } catch (UncheckedIOException gone) {
            completions.abandon(underway); // the client went away: free the sampler
            return;
          } catch (ProblemException e) {
            send(out, error(e).toString());
          }
          send(out, "[DONE]");
        };
    return Response.ok(stream, MediaType.SERVER_SENT_EVENTS)
        .header("Cache-Control", "no-cache")
        .build();
  }

  @POST
  @Path("chat/completions")
  @Consumes(MediaType.WILDCARD)
  @Produces(MediaType.APPLICATION_JSON)
  @RolesAllowed({Role.SUBMITTER_NAME, Role.ADMIN_NAME})
  /**
   * Chat completions need a chat template that base models lack: a client that tries gets a clear
   * 400 rather than a 404 page. The API document leaves the path out, as it has no success to
   * describe.
   */
  @Operation(hidden = true)
  public Response chat() {
    throw ProblemException.invalid(
        "messages",
        "chat completions need a chat template, which these base models lack: send the text to"
            + " POST /v1/completions");
  }

  @GET
  @Path("models")
  @Produces(MediaType.APPLICATION_JSON)
  @RolesAllowed({Role.READER_NAME, Role.SUBMITTER_NAME, Role.ADMIN_NAME})
  @Operation(
      operationId = "listModels",
      summary = "The models a caller may complete with: training runs with a checkpoint")
  public ObjectNode models() {
    List<Run> runs =
        Run.<Run>find(
                "from Run r where r.type = ?1"
                    + " and exists (select 1 from CheckpointRecord c where c.runId = r.id)"
                    + " order by r.createdAt desc",
                JobType.TRAIN)
            .stream()
            .filter(caller::mayRead)
            .limit(MAX_MODELS)
            .toList();
    ObjectNode body = JSON.objectNode().put("object", "list");
    ArrayNode data = body.putArray("data");
    for (Run run : runs) {
      ObjectNode model = data.addObject();
      model.put("id", run.id.toString());
      model.put("object", "model");
      model.put("created", run.createdAt.getEpochSecond());
      model.put("owned_by", run.owner);
      model.put("name", run.name);
      model.set("spec", Json.mapper().valueToTree(run.trainSpec()));
    }
    return body;
  }

  private static ObjectNode head(Completions.Underway underway) {
    ObjectNode body = JSON.objectNode();
    body.put("id", underway.id());
    body.put("object", "text_completion");
    body.put("created", underway.created);
    body.put("model", underway.request.model());
    body.set("runs", underway.runIds());
    return body;
  }

  private static ObjectNode choice(Choice c, String text, String finishReason) {
    ObjectNode choice = JSON.objectNode();
    choice.put("text", text);
    choice.put("index", c.index());
    choice.putNull("logprobs");
    choice.put("finish_reason", finishReason);
    return choice;
  }

  private static void chunk(OutputStream out, Completions.Underway underway, ObjectNode choice) {
    ObjectNode body = head(underway);
    body.putArray("choices").add(choice);
    send(out, body.toString());
  }

  private static void send(OutputStream out, String data) {
    try {
      out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A failure after the answer began, in the shape of every error of these paths. */
  private static ObjectNode error(ProblemException e) {
    return ProblemMapper.openAiError(e.toProblem("/v1/completions"));
  }
}
