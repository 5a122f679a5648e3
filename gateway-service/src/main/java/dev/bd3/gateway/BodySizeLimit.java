package dev.bd3.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Answers a body larger than {@code quarkus.http.limits.max-body-size} with a 413 problem. Quarkus
 * enforces the same limit (route order -2) with an empty body; this route runs just before it.
 */
@ApplicationScoped
public class BodySizeLimit {
  private static final int BEFORE_QUARKUS_LIMIT = -3;

  @ConfigProperty(name = "quarkus.http.limits.max-body-size")
  Optional<MemorySize> maxBodySize;

  @Inject ObjectMapper mapper;

  void install(@Observes Router router) {
    maxBodySize.ifPresent(
        max -> router.route().order(BEFORE_QUARKUS_LIMIT).handler(ctx -> check(ctx, max)));
  }

  private void check(RoutingContext ctx, MemorySize max) {
    String length = ctx.request().getHeader("Content-Length");
    if (length == null || !tooLarge(length, max.asLongValue())) {
      ctx.next();
      return;
    }
    Problem problem =
        new Problem(
            ProblemMapper.type("payload-too-large"),
            "Request Entity Too Large",
            413,
            "the request body ("
                + length
                + " bytes) is larger than the limit of "
                + max.asLongValue()
                + " bytes",
            ctx.request().path(),
            null);
    // the unread body stays on the connection: close it once the answer is out
    ctx.response()
        .setStatusCode(413)
        .putHeader("Content-Type", Problem.MEDIA_TYPE)
        .putHeader("Connection", "close")
        .endHandler(v -> ctx.request().connection().close())
        .end(json(problem));
  }

  private static boolean tooLarge(String length, long max) {
    try {
      return Long.parseLong(length.strip()) > max;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private String json(Problem problem) {
    try {
      return mapper.writeValueAsString(problem);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
