package dev.bd3.gateway.release;

import dev.bd3.gateway.GatewayConfig;
import dev.bd3.gateway.auth.Role;
import dev.bd3.gateway.problems.BodySizeLimit;
import dev.bd3.gateway.problems.ProblemException;
import dev.bd3.gateway.runs.Run;
import dev.bd3.gateway.runs.RunView;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.Optional;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.multipart.FileUpload;

/**
 * Models trained elsewhere, in the authors' release layout (their Hugging Face format): imported as
 * a training run with one checkpoint, which eval and sample jobs then name by the run's id. The
 * other way, {@code GET /api/v1/runs/{id}/checkpoints/{step}/release} exports any checkpoint.
 */
@Path(BodySizeLimit.MODELS)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "models")
public class ModelResource {
  private static final int MAX_NAME = 200;

  @Inject ModelStore store;
  @Inject Models models;
  @Inject GatewayConfig config;

  @POST
  @Consumes(MediaType.MULTIPART_FORM_DATA)
  @RolesAllowed(Role.ADMIN_NAME)
  @Operation(
      operationId = "importModel",
      summary =
          "Import a model in the release layout: parts config (config.json), weights"
              + " (model.safetensors) and an optional name; 201 with its run, or 200 when these"
              + " weights were imported before")
  public Response upload(
      @RestForm("config") FileUpload configPart,
      @RestForm("weights") FileUpload weightsPart,
      @RestForm("name") String name) {
    FileUpload configJson = required(configPart, "config", "config.json");
    FileUpload weights = required(weightsPart, "weights", "model.safetensors");
    checkName(name);
    long max = config.models().maxSize().asLongValue();
    if (weights.size() > max) { // sent without a length: counted once received
      throw ProblemException.tooLarge(
          "model.safetensors is larger than the limit of " + max + " bytes");
    }
    return imported(store.check(configJson.uploadedFile(), weights.uploadedFile()), name);
  }

  /** An import of a release folder that is already in the artifact store (nothing uploaded). */
  public record FolderImport(
      @Schema(
              description =
                  "the folder in the artifact store, relative to it (its bucket's prefix, when it"
                      + " has one), holding config.json and model.safetensors",
              examples = "imports/owt-bd3lm-4")
          String path,
      @Schema(description = "the run's name") String name) {}

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  @RolesAllowed(Role.ADMIN_NAME)
  @Operation(
      operationId = "importModelFromStore",
      summary =
          "Import a model in the release layout from a folder of the artifact store; 201 with its"
              + " run, or 200 when these weights were imported before")
  public Response importFolder(FolderImport request) {
    if (request == null) {
      throw ProblemException.invalid("path", "required: a folder of the artifact store");
    }
    checkName(request.name());
    try (ModelStore.Folder folder = store.folder(request.path())) {
      return imported(store.check(folder.config(), folder.weights()), request.name());
    }
  }

  /** Records a checked import: 201 with a new run, or 200 with the run of the same weights. */
  private Response imported(ModelStore.Checked checked, String name) {
    Optional<Run> first = models.importedAs(checked);
    if (first.isPresent()) {
      return Response.ok(view(first.get())).build();
    }
    UUID id = UUID.randomUUID();
    Models.Recorded recorded;
    try {
      recorded = models.record(checked, store.write(checked, id), name);
    } catch (RuntimeException e) {
      store.remove(id);
      throw e;
    }
    if (!recorded.created()) { // the same weights, recorded meanwhile by another import
      store.remove(id);
      return Response.ok(view(recorded.run())).build();
    }
    return Response.created(URI.create("/api/v1/runs/" + id)).entity(view(recorded.run())).build();
  }

  private static void checkName(String name) {
    if (name != null && (name.length() > MAX_NAME || name.indexOf('\0') >= 0)) {
      throw ProblemException.invalid(
          "name", "at most " + MAX_NAME + " characters, without NUL (U+0000)");
    }
  }

  private static FileUpload required(FileUpload part, String name, String file) {
    if (part == null) {
      throw ProblemException.invalid(name, "required: the model's " + file);
    }
    return part;
  }

  private RunView view(Run run) {
    return RunView.of(run, config.runs().staleAfter());
  }
}
