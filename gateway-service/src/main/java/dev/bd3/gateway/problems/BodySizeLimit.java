package dev.bd3.gateway.problems;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bd3.gateway.GatewayConfig;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.quarkus.vertx.http.runtime.VertxHttpRecorder;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Locale;

/**
 * The size limit of request bodies: {@code bd3.gateway.max-body-size} for JSON requests, {@code
 * bd3.gateway.datasets.max-size} for a dataset upload, {@code bd3.gateway.models.max-size} for a
 * model import. Quarkus' own limit ({@code quarkus.http.limits.max-body-size}) is set to the
 * largest, the models'; these routes narrow it per request. A body that says its length is answered
 * with a 413 problem before it is read; a chunked one is counted as it arrives (a JSON body and a
 * model import by Quarkus, a dataset upload by {@link dev.bd3.gateway.datasets.DatasetStore}).
 */
@ApplicationScoped
public class BodySizeLimit {
  /** The upload paths, the requests whose body may be large. */
  public static final String DATASETS = "/api/v1/datasets";

  public static final String MODELS = "/api/v1/models";

  /** How long the rest of a refused body may take to arrive before its connection is closed. */
  private static final Duration LINGER = Duration.ofSeconds(10);

  @Inject GatewayConfig config;
  @Inject ObjectMapper mapper;
  @Inject Vertx vertx;

  void install(@Observes Router router) {
    router.route().order(RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT - 1).handler(this::byLength);
    router.route().order(RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT + 1).handler(this::whenChunked);
  }

  private static boolean isUpload(RoutingContext ctx, String path) {
    return ctx.request().method() == HttpMethod.POST && path.equals(ctx.request().path());
  }

  private static boolean isMultipart(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    return type != null && type.toLowerCase(Locale.ROOT).startsWith("multipart/");
  }

  private long limit(RoutingContext ctx) {
    if (isUpload(ctx, DATASETS)) {
      return config.datasets().maxSize().asLongValue();
    }
    boolean modelUpload = isUpload(ctx, MODELS) && isMultipart(ctx); // not a folder's JSON
    return (modelUpload ? config.models().maxSize() : config.maxBodySize()).asLongValue();
  }

  private void byLength(RoutingContext ctx) {
    ctx.addEndHandler(answered -> dropTheRest(ctx.request()));
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
    ctx.response()
        .setStatusCode(problem.status())
        .putHeader("Content-Type", Problem.MEDIA_TYPE)
        .end(json(problem));
  }

  /**
   * A request answered before its body was all read (refused by its length, its name, or part-way
   * through): the rest of the body is read and dropped, as web servers do ("lingering close"), so
   * that the connection can serve the next request. Closing it at once instead would reset it while
   * the client is still sending, and a client that reads only once it has sent (most do, without
   * {@code Expect: 100-continue}) would lose the answer. A body that goes on past {@link #LINGER}
   * has its connection closed.
   */
  private void dropTheRest(HttpServerRequest request) {
    if (request.isEnded()) {
      return;
    }
    // the connection serves the next request once this body has ended: only close it if it has not
    vertx.setTimer(
        LINGER.toMillis(),
        t -> {
          if (!request.isEnded()) {
            request.connection().close();
          }
        });
    request.handler(ignored -> {}).resume();
  }

  /**
   * Quarkus counts a body without a length against this key, which it has just set: narrow it to
   * the request's limit, and leave a dataset upload to count its own bytes, which it answers with a
   * problem.
   */
  private void whenChunked(RoutingContext ctx) {
    if (ctx.get(VertxHttpRecorder.MAX_REQUEST_SIZE_KEY) != null) {
      if (isUpload(ctx, DATASETS)) {
        ctx.remove(VertxHttpRecorder.MAX_REQUEST_SIZE_KEY);
      } else {
        ctx.put(VertxHttpRecorder.MAX_REQUEST_SIZE_KEY, limit(ctx));
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
