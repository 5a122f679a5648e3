package dev.bd3.gateway.problems;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * An error response as RFC 7807 {@code application/problem+json}; {@code errors} lists the fields
 * at fault (only for 400s about the request's content).
 */
public record Problem(
    String type,
    String title,
    int status,
    String detail,
    String instance,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<FieldError> errors) {

  public static final String MEDIA_TYPE = "application/problem+json";

  /** One field at fault: {@code type}, {@code spec.steps} ... */
  public record FieldError(String field, String message) {}
}
