package dev.bd3.gateway.auth;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bd3.gateway.problems.Problem;
import dev.bd3.gateway.problems.ProblemException;
import dev.bd3.gateway.problems.ProblemMapper;
import dev.bd3.gateway.runs.Run;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** API keys (an admin's tool), and who the caller is. */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "keys")
public class KeyResource {
  /** A name is a principal: what run lists show as the owner. */
  static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._@-]{0,63}");

  @Inject ApiKeys keys;
  @Inject Caller caller;

  /** What a new key is for. */
  public record NewKey(String name, List<String> roles) {}

  /** The caller: name and roles. */
  public record Me(String name, List<String> roles) {}

  @GET
  @Path("me")
  @RolesAllowed({Role.READER_NAME, Role.SUBMITTER_NAME, Role.ADMIN_NAME})
  @Operation(operationId = "whoAmI", summary = "Who the key speaks for, with which roles")
  public Me me() {
    return new Me(
        caller.name(),
        EnumSet.allOf(Role.class).stream().filter(caller::is).map(Role::json).toList());
  }

  @POST
  @Path("keys")
  @Consumes(MediaType.APPLICATION_JSON)
  @RolesAllowed(Role.ADMIN_NAME)
  @Operation(
      operationId = "createKey",
      summary = "Make a key; the answer holds the key, which is never shown again")
  public Response create(JsonNode body) {
    NewKey request = read(body);
    List<Problem.FieldError> errors = new ArrayList<>();
    if (request.name() == null || !NAME.matcher(request.name()).matches()) {
      errors.add(
          new Problem.FieldError(
              "name", "1 to 64 of a-z, 0-9, . _ @ -, starting with a letter or digit"));
    }
    Set<Role> roles = EnumSet.noneOf(Role.class);
    if (request.roles() == null || request.roles().isEmpty()) {
      errors.add(new Problem.FieldError("roles", "at least one of " + Role.names()));
    } else {
      for (int i = 0; i < request.roles().size(); i++) {
        String name = request.roles().get(i);
        int at = i;
        Role.parse(name)
            .ifPresentOrElse(
                roles::add,
                () ->
                    errors.add(
                        new Problem.FieldError("roles[" + at + "]", "one of " + Role.names())));
      }
    }
    if (!errors.isEmpty()) {
      throw ProblemException.invalid(errors);
    }
    ApiKeys.CreatedKey created = keys.create(request.name(), roles, caller.name());
    return Response.status(Response.Status.CREATED).entity(created).build();
  }

  @GET
  @Path("keys")
  @RolesAllowed(Role.ADMIN_NAME)
  @Operation(
      operationId = "listKeys",
      summary = "Every key, newest first (names, roles, use; never the keys)")
  public List<ApiKeys.KeyView> list() {
    return keys.list();
  }

  @DELETE
  @Path("keys/{id}")
  @RolesAllowed(Role.ADMIN_NAME)
  @Operation(operationId = "revokeKey", summary = "Revoke a key: it is refused from now on")
  public ApiKeys.KeyView revoke(@PathParam("id") String id) {
    return Run.parseId(id)
        .flatMap(keys::revoke)
        .orElseThrow(() -> ProblemException.notFound("no key with id " + id, null));
  }

  private static NewKey read(JsonNode body) {
    if (body == null || !body.isObject()) {
      throw ProblemException.invalid("body", "a JSON object is required");
    }
    return ProblemMapper.readStrict(body, NewKey.class, "");
  }
}
