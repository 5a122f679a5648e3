package dev.bd3.gateway.runs;

import dev.bd3.gateway.auth.Role;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.RunStatus;
import dev.bd3.jobs.SpecCatalog;
import dev.bd3.model.spec.ModelPreset;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.Arrays;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** What clients build their forms and lists from: the job types, their fields, the presets. */
@Path("/api/v1/catalog")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "catalog")
@RolesAllowed({Role.READER_NAME, Role.SUBMITTER_NAME, Role.ADMIN_NAME})
public class CatalogResource {

  /** A job type and its spec's fields, with their defaults. */
  public record JobTypeView(String type, List<SpecCatalog.Field> fields) {}

  /** A model preset's shape. */
  public record PresetView(
      String name,
      boolean isDefault,
      int layers,
      int width,
      int heads,
      int contextLength,
      int blockSize,
      double dropout) {}

  /** Everything a client needs to offer the API's choices. */
  public record Catalog(
      List<JobTypeView> jobTypes,
      List<PresetView> presets,
      List<RunStatus> statuses,
      List<String> roles) {}

  @GET
  @Operation(
      operationId = "getCatalog",
      summary =
          "Job types with their spec fields and defaults, model presets, run statuses, key roles")
  public Catalog catalog() {
    return new Catalog(
        Arrays.stream(JobType.values())
            .map(t -> new JobTypeView(t.json(), SpecCatalog.fields(t)))
            .toList(),
        Arrays.stream(ModelPreset.values())
            .map(
                p ->
                    new PresetView(
                        p.json(),
                        p == ModelPreset.DEFAULT,
                        p.layers,
                        p.width,
                        p.heads,
                        p.contextLength,
                        p.blockSize,
                        p.dropout))
            .toList(),
        List.of(RunStatus.values()),
        Arrays.stream(Role.values()).map(Role::json).toList());
  }
}
