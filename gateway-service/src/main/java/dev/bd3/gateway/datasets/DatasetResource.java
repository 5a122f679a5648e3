package dev.bd3.gateway.datasets;

import dev.bd3.gateway.GatewayConfig;
import dev.bd3.gateway.auth.Caller;
import dev.bd3.gateway.auth.Role;
import dev.bd3.gateway.problems.BodySizeLimit;
import dev.bd3.gateway.problems.ProblemException;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Training text, uploaded: a job names a dataset by its id ({@code spec.corpus}), never by a path.
 * A dataset is seen by whoever sees its owner's runs.
 */
@Path(BodySizeLimit.DATASETS)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "datasets")
public class DatasetResource {
  @Inject DatasetStore store;
  @Inject Datasets datasets;
  @Inject Caller caller;
  @Inject GatewayConfig config;

  @POST
  @Consumes(MediaType.TEXT_PLAIN)
  @RolesAllowed({Role.SUBMITTER_NAME, Role.ADMIN_NAME})
  @Operation(
      operationId = "uploadDataset",
      summary =
          "Upload UTF-8 text as a dataset (paragraphs separated by blank lines); 201 with its id,"
              + " or 200 when the caller has already uploaded this text under this name")
  public Response upload(
      @Parameter(description = "the dataset's name, unique among the caller's", required = true)
          @QueryParam("name")
          String name,
      @HeaderParam("Content-Length") Long length,
      InputStream text) {
    Datasets.requireName(name);
    if (!caller.is(Role.ADMIN) && length != null) { // refused before the body is read
      datasets.requireRoom(caller.name(), length);
    }
    DatasetStore.Stored stored = store.write(text);
    Datasets.Recorded recorded;
    try {
      recorded = datasets.record(name, caller.name(), stored);
    } finally {
      store.discard(stored);
    }
    return (recorded.created()
            ? Response.created(URI.create(BodySizeLimit.DATASETS + "/" + recorded.dataset().id))
            : Response.ok())
        .entity(DatasetView.of(recorded.dataset()))
        .build();
  }

  @GET
  @RolesAllowed({Role.READER_NAME, Role.SUBMITTER_NAME, Role.ADMIN_NAME})
  @Operation(
      operationId = "listDatasets",
      summary = "Datasets, newest first (a submitter's own only, unless it is a reader too)")
  public List<DatasetView> list(
      @Parameter(description = "at most this many (default and largest: 100)") @QueryParam("limit")
          Integer limit,
      @Parameter(description = "only this owner's (a key's name)") @QueryParam("owner")
          String owner) {
    int max = config.datasets().maxLimit();
    int n = limit == null ? max : limit;
    if (n < 1 || n > max) {
      throw ProblemException.invalid("limit", "must be between 1 and " + max);
    }
    Optional<Optional<String>> owners = caller.listed(owner);
    if (owners.isEmpty()) {
      return List.of();
    }
    return Dataset.newest(owners.get(), n).stream().map(DatasetView::of).toList();
  }

  @GET
  @Path("{id}")
  @RolesAllowed({Role.READER_NAME, Role.SUBMITTER_NAME, Role.ADMIN_NAME})
  @Operation(
      operationId = "getDataset",
      summary = "One dataset: its size, sha256 and how it splits")
  public DatasetView get(@PathParam("id") String id) {
    return DatasetView.of(datasets.visible(id));
  }

  @DELETE
  @Path("{id}")
  @RolesAllowed({Role.SUBMITTER_NAME, Role.ADMIN_NAME})
  @Operation(
      operationId = "deleteDataset",
      summary =
          "Delete a dataset that no training run or open evaluation names (409 otherwise); its"
              + " owner or an admin")
  public DatasetView delete(@PathParam("id") String id) {
    return DatasetView.of(datasets.delete(id));
  }
}
