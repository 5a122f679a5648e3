package dev.bd3.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.quarkus.vertx.http.runtime.VertxHttpRecorder;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * The size limit of request bodies: {@code bd3.gateway.max-body-size} for JSON requests, {@code
 * bd3.gateway.datasets.max-size} for a dataset upload. Quarkus' own limit ({@code
 * quarkus.http.limits.max-body-size}) is set to the larger; these routes narrow it per request. A
 * body that says its length is answered with a 413 problem before it is read; a chunked one is
 * counted as it arrives (a JSON body by Quarkus, an upload by {@link
 * dev.bd3.gateway.dataset.DatasetStore}).
 */
@ApplicationScoped
public class BodySizeLimit {
  /** The upload path, the one request whose body may be large. */
  public static final String DATASETS = "/api/v1/datasets";

  @Inject GatewayConfig config;
  @Inject ObjectMapper mapper;

  void install(@Observes Router router) {
    router.route().order(RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT - 1).handler(this::byLength);
    router.route().order(RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT + 1).handler(this::whenChunked);
  }

  private static boolean isUpload(RoutingContext ctx) {
    return ctx.request().method() == HttpMethod.POST && DATASETS.equals(ctx.request().path());
  }

  private long limit(RoutingContext ctx) {
    return (isUpload(ctx) ? config.datasets().maxSize() : config.maxBodySize()).asLongValue();
  }

  private void byLength(RoutingContext ctx) {
    String length = ctx.request().getHeader("Content-Length");
    long max = limit(ctx);
    if (length == null || !tooLarge(length, max)) {
      ctx.next();
      return;
    }
    Problem problem =
        ProblemException.tooLarge(
                "the request body ("
                    + length
                    + " bytes) is larger than the limit of "
                    + max
                    + " bytes")
            .toProblem(ctx.request().path());
    // the unread body stays on the connection: close it once the answer is out
    ctx.response()
        .setStatusCode(problem.status())
        .putHeader("Content-Type", Problem.MEDIA_TYPE)
        .putHeader("Connection", "close")
        .endHandler(v -> ctx.request().connection().close())
        .end(json(problem));
  }

  /**
   * Quarkus counts a body without a length against this key, which it has just set: narrow it for
   * JSON, and leave an upload to count its own bytes, which it answers with a problem.
   */
  private void whenChunked(RoutingContext ctx) {
    if (ctx.get(VertxHttpRecorder.MAX_REQUEST_SIZE_KEY) != null) {
      if (isUpload(ctx)) {
        ctx.remove(VertxHttpRecorder.MAX_REQUEST_SIZE_KEY);
      } else {
        ctx.put(VertxHttpRecorder.MAX_REQUEST_SIZE_KEY, config.maxBodySize().asLongValue());
      }
    }
    ctx.next();
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
