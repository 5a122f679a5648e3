package dev.bd3.gateway.problems;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/** A request that cannot be served, answered as a {@link Problem} by {@link ProblemMapper}. */
public class ProblemException extends RuntimeException {
  private final int status;
  private final String slug;
  private final String title;
  private final List<Problem.FieldError> errors;
  private final Duration retryAfter;

  public ProblemException(
      int status, String slug, String title, String detail, List<Problem.FieldError> errors) {
    this(status, slug, title, detail, errors, null);
  }

  private ProblemException(
      int status,
      String slug,
      String title,
      String detail,
      List<Problem.FieldError> errors,
      Duration retryAfter) {
    super(detail);
    this.status = status;
    this.slug = slug;
    this.title = title;
    this.errors = List.copyOf(errors);
    this.retryAfter = retryAfter;
  }

  /** 400: the request's content is wrong; each error names a field. */
  public static ProblemException invalid(List<Problem.FieldError> errors) {
    String detail =
        errors.size() == 1
            ? errors.get(0).field() + ": " + errors.get(0).message()
            : errors.size() + " fields are invalid";
    return new ProblemException(400, "validation", "Invalid request", detail, errors);
  }

  public static ProblemException invalid(String field, String message) {
    return invalid(List.of(new Problem.FieldError(field, message)));
  }

  /** 404; {@code field} names where the unknown id came from (null for the path). */
  public static ProblemException notFound(String detail, String field) {
    return new ProblemException(
        404,
        "not-found",
        "Not found",
        detail,
        field == null ? List.of() : List.of(new Problem.FieldError(field, detail)));
  }

  public static ProblemException runNotFound(String id) {
    return notFound("no run with id " + id, null);
  }

  /** 409: the request is well formed but the state of things does not allow it. */
  public static ProblemException conflict(String detail) {
    return new ProblemException(409, "conflict", "Conflict", detail, List.of());
  }

  /** 422: a valid job that exceeds a limit of its worker pool; names the limit. */
  public static ProblemException overLimit(String detail, String field) {
    return new ProblemException(
        422,
        "over-limit",
        "Over the workers' limits",
        detail,
        List.of(new Problem.FieldError(field, detail)));
  }

  /** 413: the request body is larger than its limit. */
  public static ProblemException tooLarge(String detail) {
    return new ProblemException(
        413, "payload-too-large", "Request Entity Too Large", detail, List.of());
  }

  /** 422: what a principal keeps (datasets) would pass its quota. */
  public static ProblemException overQuota(String detail) {
    return new ProblemException(422, "storage-quota", "Over the storage quota", detail, List.of());
  }

  /** 401: no key, or one that is unknown or revoked. */
  public static ProblemException unauthenticated() {
    return new ProblemException(
        401,
        "unauthenticated",
        "Unauthorized",
        "send a valid API key: Authorization: Bearer <key>",
        List.of());
  }

  /** 403: the caller's roles do not allow this (on something the caller may see). */
  public static ProblemException forbidden(String detail) {
    return new ProblemException(403, "forbidden", "Forbidden", detail, List.of());
  }

  /** 429: over a quota; {@code Retry-After} says when the request may succeed. */
  public static ProblemException tooMany(String detail, Duration retryAfter) {
    return new ProblemException(429, "quota", "Too many requests", detail, List.of(), retryAfter);
  }

  /** The same problem with its fields named as {@code rename} names them (another API's words). */
  public ProblemException renamed(UnaryOperator<String> rename) {
    String detail = getMessage();
    List<Problem.FieldError> named = new ArrayList<>();
    for (Problem.FieldError e : errors) {
      String field = rename.apply(e.field());
      named.add(new Problem.FieldError(field, e.message()));
      detail = detail == null ? null : detail.replace(e.field() + ":", field + ":");
    }
    return new ProblemException(status, slug, title, detail, named, retryAfter);
  }

  /** The fields at fault, if any. */
  public List<Problem.FieldError> errors() {
    return errors;
  }

  /** When to try again (429), if anything is known. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }

  public Problem toProblem(String instance) {
    return new Problem(ProblemMapper.type(slug), title, status, getMessage(), instance, errors);
  }

  public int status() {
    return status;
  }
}
