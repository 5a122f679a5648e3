package dev.bd3.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

/** A small client of the gateway's REST API ({@code /api/v1}). */
public final class Bd3Client {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED");

  private final URI api;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  public Bd3Client(URI base) {
    this.api = base.resolve("/api/v1/");
  }

  /** An error answer of the API, with its RFC 7807 problem body. */
  public static final class ApiException extends RuntimeException {
    private final int status;
    private final JsonNode problem;

    ApiException(int status, JsonNode problem) {
      super("HTTP " + status + ": " + problem);
      this.status = status;
      this.problem = problem;
    }

    public int status() {
      return status;
    }

    public JsonNode problem() {
      return problem;
    }
  }

  /** Submits a job; returns the new run's view. */
  public JsonNode submit(String type, JsonNode spec) {
    ObjectNode body = JSON.createObjectNode().put("type", type);
    body.set("spec", spec);
    return send(
        HttpRequest.newBuilder(api.resolve("jobs"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
  }

  public JsonNode run(String id) {
    return send(HttpRequest.newBuilder(api.resolve("jobs/" + id)).GET());
  }

  public JsonNode runs() {
    return send(HttpRequest.newBuilder(api.resolve("runs")).GET());
  }

  public JsonNode metrics(String id) {
    return send(HttpRequest.newBuilder(api.resolve("runs/" + id + "/metrics")).GET());
  }

  public JsonNode cancel(String id) {
    return send(
        HttpRequest.newBuilder(api.resolve("jobs/" + id + "/cancel"))
            .POST(HttpRequest.BodyPublishers.noBody()));
  }

  /** Polls a run until it ends; {@code onPoll} sees every view fetched. */
  public JsonNode await(String id, Duration timeout, Consumer<JsonNode> onPoll) {
    return await(id, timeout, onPoll, view -> TERMINAL.contains(view.path("status").asText()));
  }

  /** Polls a run until {@code done} holds for its view (or it ends). */
  public JsonNode await(
      String id, Duration timeout, Consumer<JsonNode> onPoll, Predicate<JsonNode> done) {
    Instant deadline = Instant.now().plus(timeout);
    while (true) {
      JsonNode view = run(id);
      onPoll.accept(view);
      if (done.test(view) || TERMINAL.contains(view.path("status").asText())) {
        return view;
      }
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException(
            "run " + id + " still " + view.path("status") + " after " + timeout);
      }
      sleep(Duration.ofSeconds(1));
    }
  }

  public static ObjectNode object() {
    return JSON.createObjectNode();
  }

  public static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON: " + json, e);
    }
  }

  private JsonNode send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> response =
          http.send(
              request.timeout(Duration.ofSeconds(30)).build(),
              HttpResponse.BodyHandlers.ofString());
      JsonNode body = response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
      if (response.statusCode() >= 400) {
        throw new ApiException(response.statusCode(), body);
      }
      return body;
    } catch (IOException e) {
      throw new IllegalStateException("cannot reach " + api + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
