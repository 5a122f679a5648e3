package dev.bd3.gateway.problems;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bd3.gateway.auth.ApiKeyMechanism;
import dev.bd3.jobs.Json;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Turns every error into an RFC 7807 {@code application/problem+json} response. */
public class ProblemMapper {
  private static final Logger LOG = Logger.getLogger(ProblemMapper.class);

  /** The OpenAI-compatible API's paths, whose errors take its shape. */
  private static final String OPENAI_PATHS = "/v1/";

  @Inject ObjectMapper mapper;

  /** The problem type URI for a kind of error. */
  static String type(String slug) {
    return "urn:bd3:problem:" + slug;
  }

  @ServerExceptionMapper
  public Response problem(ProblemException e, HttpServerRequest request) {
    Response.ResponseBuilder response = builder(e.toProblem(request.path()));
    // whole seconds, rounded up: a client that waits that long is not refused again too early
    e.retryAfter()
        .ifPresent(d -> response.header("Retry-After", Math.max(1, (d.toMillis() + 999) / 1000)));
    return response.build();
  }

  /** No key, or one that is unknown or revoked. */
  @ServerExceptionMapper({AuthenticationFailedException.class, UnauthorizedException.class})
  public Response unauthenticated(RuntimeException e, HttpServerRequest request) {
    return builder(ProblemException.unauthenticated().toProblem(request.path()))
        .header("WWW-Authenticate", ApiKeyMechanism.CHALLENGE)
        .build();
  }

  /** A valid key whose roles do not allow this. */
  @ServerExceptionMapper
  public Response forbidden(ForbiddenException e, HttpServerRequest request) {
    return respond(
        ProblemException.forbidden(
                "this key's roles do not allow " + request.method() + " " + request.path())
            .toProblem(request.path()));
  }

  @ServerExceptionMapper
  public Response badJson(JsonProcessingException e, HttpServerRequest request) {
    return respond(fromJson(e, "").toProblem(request.path()));
  }

  @ServerExceptionMapper
  public Response badJson(JsonParseException e, HttpServerRequest request) {
    return badJson((JsonProcessingException) e, request);
  }

  @ServerExceptionMapper
  public Response badJson(MismatchedInputException e, HttpServerRequest request) {
    return badJson((JsonProcessingException) e, request);
  }

  @ServerExceptionMapper
  public Response invalid(ConstraintViolationException e, HttpServerRequest request) {
    List<Problem.FieldError> errors =
        e.getConstraintViolations().stream()
            .map(v -> new Problem.FieldError(leaf(v), v.getMessage()))
            .sorted(Comparator.comparing(Problem.FieldError::field))
            .toList();
    return respond(ProblemException.invalid(errors).toProblem(request.path()));
  }

  @ServerExceptionMapper
  public Response http(WebApplicationException e, HttpServerRequest request) {
    if (e.getCause() instanceof JsonProcessingException json) {
      return badJson(json, request);
    }
    int status = e.getResponse().getStatus();
    Response.StatusType statusType = Response.Status.fromStatusCode(status);
    String title = statusType == null ? "HTTP " + status : statusType.getReasonPhrase();
    String detail =
        switch (status) {
          case 404 -> "no resource at " + request.path();
          case 413 -> "the request body is larger than the limit";
          case 415 -> "send the body as application/json";
          default -> e.getMessage();
        };
    return respond(new Problem(type(slug(title)), title, status, detail, request.path(), null));
  }

  @ServerExceptionMapper
  public Response unexpected(Exception e, HttpServerRequest request) {
    LOG.errorf(e, "%s %s failed", request.method(), request.path());
    return respond(
        new Problem(
            type("internal"),
            "Internal Server Error",
            500,
            "unexpected error; see the gateway log",
            request.path(),
            null));
  }

  /**
   * User input read strictly ({@link Json#strictReader}: unknown fields and wrong types refused); a
   * 400 naming the field, {@code prefix} before its path, when it cannot be read.
   */
  public static <T> T readStrict(JsonNode node, Class<T> type, String prefix) {
    NoNulCharacters.check(node, prefix);
    try {
      return Json.strictReader(type).readValue(node);
    } catch (JsonProcessingException e) {
      throw fromJson(e, prefix);
    } catch (IOException e) {
      throw ProblemException.invalid(prefix.isEmpty() ? "body" : prefix, e.getMessage());
    }
  }

  /** A 400 naming the field that Jackson could not read, {@code prefix} before its path. */
  static ProblemException fromJson(JsonProcessingException e, String prefix) {
    if (e instanceof UnrecognizedPropertyException u) {
      String known =
          u.getKnownPropertyIds().stream()
              .map(Object::toString)
              .sorted()
              .collect(Collectors.joining(", "));
      return ProblemException.invalid(
          field(u, prefix), "unknown field" + (known.isEmpty() ? "" : "; known fields: " + known));
    }
    if (e instanceof InvalidFormatException f && f.getTargetType() != null) {
      return ProblemException.invalid(
          field(f, prefix), "cannot read " + f.getValue() + " as " + typeName(f.getTargetType()));
    }
    if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
      return ProblemException.invalid(field(m, prefix), "expected " + typeName(m.getTargetType()));
    }
    String where =
        e instanceof JsonMappingException m && !m.getPath().isEmpty()
            ? field(m, prefix)
            : prefix.isEmpty() ? "body" : prefix;
    return ProblemException.invalid(where, "malformed JSON: " + e.getOriginalMessage());
  }

  /** The JSON path of the error as {@code prefix.a.b[2]}. */
  static String field(JsonMappingException e, String prefix) {
    StringBuilder path = new StringBuilder(prefix);
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (!path.isEmpty()) {
          path.append('.');
        }
        path.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        path.append('[').append(ref.getIndex()).append(']');
      }
    }
    return path.isEmpty() ? "body" : path.toString();
  }

  private static String typeName(Class<?> type) {
    if (Number.class.isAssignableFrom(type) || type.isPrimitive()) {
      return "a number (" + type.getSimpleName().toLowerCase(Locale.ROOT) + ")";
    }
    if (type == String.class) {
      return "a string";
    }
    if (type == Boolean.class) {
      return "true or false";
    }
    return "a JSON object";
  }

  private static String leaf(ConstraintViolation<?> v) {
    // "list.limit" -> "limit": the parameter, not the method
    String path = v.getPropertyPath().toString();
    int dot = path.lastIndexOf('.');
    return dot < 0 ? path : path.substring(dot + 1);
  }

  private static String slug(String title) {
    return title.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
  }

  private Response respond(Problem problem) {
    return builder(problem).build();
  }

  private Response.ResponseBuilder builder(Problem problem) {
    if (problem.instance() != null && problem.instance().startsWith(OPENAI_PATHS)) {
      return Response.status(problem.status())
          .type(MediaType.APPLICATION_JSON)
          .entity(openAiError(problem).toString());
    }
    String body;
    try {
      body = mapper.writeValueAsString(problem);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(body);
  }

  /**
   * A problem in OpenAI's error shape, which its clients read: {@code {"error": {"message", "type",
   * "param", "code"}}}, the param being the first field at fault.
   */
  public static ObjectNode openAiError(Problem problem) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    ObjectNode error = body.putObject("error");
    error.put("message", problem.detail());
    error.put(
        "type",
        switch (problem.status()) {
          case 401 -> "authentication_error";
          case 403 -> "permission_error";
          case 404 -> "not_found_error";
          case 429 -> "rate_limit_error";
          default -> problem.status() >= 500 ? "server_error" : "invalid_request_error";
        });
    List<Problem.FieldError> errors = problem.errors();
    if (errors == null || errors.isEmpty()) {
      error.putNull("param");
    } else {
      error.put("param", errors.get(0).field());
    }
    String type = problem.type();
    error.put("code", type.substring(type.lastIndexOf(':') + 1));
    return body;
  }
}
