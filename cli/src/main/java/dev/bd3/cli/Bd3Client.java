package dev.bd3.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** A small client of the gateway's REST API ({@code /api/v1}). */
public final class Bd3Client {
  /** How long an upload or a download may take (a large text or model over a slow link). */
  private static final Duration UPLOAD_TIMEOUT = Duration.ofMinutes(30);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED");

  private final URI api;
  private final URI openAi;
  private final String key;
  private final Duration pollInterval;
  // HTTP/1.1: no h2c upgrade attempt, which an event stream does not need and some servers refuse
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  /** A client that signs in with {@code key} (an API key; null sends none). */
  public Bd3Client(URI base, String key) {
    this(base, key, Duration.ofSeconds(1));
  }

  /** A client whose {@link #await} polls every {@code pollInterval}. */
  public Bd3Client(URI base, String key, Duration pollInterval) {
    this.api = base.resolve("/api/v1/");
    this.openAi = base.resolve("/v1/");
    this.key = key;
    this.pollInterval = pollInterval;
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

  /** The API cannot be reached: nothing listens there, or the connection failed. */
  public static final class UnreachableException extends RuntimeException {
    UnreachableException(URI api, IOException cause) {
      super(
          "cannot reach the API at "
              + api
              + " ("
              + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage())
              + "); is the gateway running? Set --api or BD3_API",
          cause);
    }
  }

  /** One Server-Sent Event: its name ({@code message} when unnamed) and its data. */
  public record Event(String name, String data) {}

  /** Submits a job; returns the new run's view. */
  public JsonNode submit(String type, JsonNode spec) {
    return submit(type, null, spec, null);
  }

  /**
   * Submits a job with an optional label and idempotency key (a repeated key returns the first
   * run); returns the run's view.
   */
  public JsonNode submit(String type, String name, JsonNode spec, String idempotencyKey) {
    ObjectNode body = JSON.createObjectNode().put("type", type);
    if (name != null) {
      body.put("name", name);
    }
    body.set("spec", spec);
    HttpRequest.Builder request =
        HttpRequest.newBuilder(api.resolve("runs"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    if (idempotencyKey != null) {
      request.header("Idempotency-Key", idempotencyKey);
    }
    return send(request);
  }

  public JsonNode run(String id) {
    return send(HttpRequest.newBuilder(api.resolve("runs/" + encode(id))).GET());
  }

  public JsonNode runs() {
    return runs(null, null, null);
  }

  /** Runs, newest first; each filter may be null. */
  public JsonNode runs(String type, String status, Integer limit) {
    String query =
        query(
            "type", type,
            "status", status,
            "limit", limit == null ? null : limit.toString());
    return send(HttpRequest.newBuilder(api.resolve("runs" + query)).GET());
  }

  public JsonNode metrics(String id) {
    return metrics(id, null);
  }

  /** A run's metric points; only the series {@code name} unless it is null. */
  public JsonNode metrics(String id, String name) {
    return send(
        HttpRequest.newBuilder(api.resolve("runs/" + encode(id) + "/metrics" + query("name", name)))
            .GET());
  }

  /** The newest messages parked in the dead-letter topic. */
  public JsonNode deadLetters(int limit) {
    return send(
        HttpRequest.newBuilder(api.resolve("dead-letters" + query("limit", String.valueOf(limit))))
            .GET());
  }

  /** Publishes a parked message again to its topic. */
  public JsonNode replayDeadLetter(int partition, long offset) {
    return send(
        HttpRequest.newBuilder(api.resolve("dead-letters/" + partition + "/" + offset + "/replay"))
            .POST(HttpRequest.BodyPublishers.noBody()));
  }

  public JsonNode cancel(String id) {
    return send(
        HttpRequest.newBuilder(api.resolve("runs/" + encode(id) + "/cancel"))
            .POST(HttpRequest.BodyPublishers.noBody()));
  }

  /** Makes an API key (admin): the answer holds the key, shown this once. */
  public JsonNode createKey(String name, List<String> roles) {
    ObjectNode body = JSON.createObjectNode().put("name", name);
    roles.forEach(body.putArray("roles")::add);
    return send(
        HttpRequest.newBuilder(api.resolve("keys"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
  }

  public JsonNode keys() {
    return send(HttpRequest.newBuilder(api.resolve("keys")).GET());
  }

  public JsonNode revokeKey(String id) {
    return send(HttpRequest.newBuilder(api.resolve("keys/" + encode(id))).DELETE());
  }

  /** Uploads a text file as the dataset {@code name}; the answer is its record. */
  public JsonNode uploadDataset(String name, Path file) {
    return send(
        HttpRequest.newBuilder(api.resolve("datasets" + query("name", name)))
            .header("Content-Type", "text/plain; charset=utf-8")
            .POST(file(file)),
        UPLOAD_TIMEOUT);
  }

  /**
   * Imports a model in the authors' release layout, its {@code config.json} and {@code
   * model.safetensors}, as a training run ({@code name} may be null); the answer is the run's view.
   * The files are streamed, not read into memory.
   */
  public JsonNode importModel(Path config, Path weights, String name) {
    String boundary = "bd3-" + UUID.randomUUID();
    List<HttpRequest.BodyPublisher> body = new ArrayList<>();
    body.add(part(boundary, "config", "config.json", "application/json", file(config)));
    body.add(
        part(boundary, "weights", "model.safetensors", "application/octet-stream", file(weights)));
    if (name != null) {
      body.add(
          part(
              boundary,
              "name",
              null,
              "text/plain; charset=UTF-8",
              HttpRequest.BodyPublishers.ofString(name, StandardCharsets.UTF_8)));
    }
    body.add(HttpRequest.BodyPublishers.ofString("--" + boundary + "--\r\n"));
    return send(
        HttpRequest.newBuilder(api.resolve("models"))
            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
            .POST(
                HttpRequest.BodyPublishers.concat(body.toArray(HttpRequest.BodyPublisher[]::new))),
        UPLOAD_TIMEOUT);
  }

  /**
   * Imports the release folder at {@code path} in the gateway's artifact store (nothing uploaded);
   * the answer is the run's view.
   */
  public JsonNode importModelFromStore(String path, String name) {
    ObjectNode body = JSON.createObjectNode().put("path", path);
    if (name != null) {
      body.put("name", name);
    }
    return send(
        HttpRequest.newBuilder(api.resolve("models"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString())),
        UPLOAD_TIMEOUT); // the gateway reads and converts the weights before it answers
  }

  /**
   * A completion streamed ({@code POST /v1/completions} with {@code stream: true}): {@code onChunk}
   * takes each chunk as it comes, up to the one with the usage.
   */
  public void complete(ObjectNode request, Consumer<JsonNode> onChunk) {
    request.put("stream", true);
    stream(
        HttpRequest.newBuilder(openAi.resolve("completions"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(request.toString())),
        event -> {
          if (!event.data().equals("[DONE]")) {
            onChunk.accept(lenientJson(event.data()));
          }
        });
  }

  /**
   * A run's checkpoint ({@code step}: a step or {@code latest}) in the release layout: a zip of
   * {@code config.json} and {@code model.safetensors}, as it arrives. The caller closes it.
   */
  public InputStream release(String runId, String step) {
    HttpRequest request =
        HttpRequest.newBuilder(
                api.resolve("runs/" + encode(runId) + "/checkpoints/" + encode(step) + "/release"))
            .timeout(UPLOAD_TIMEOUT)
            .GET()
            .build();
    HttpResponse<InputStream> response =
        exchange(request, HttpResponse.BodyHandlers.ofInputStream());
    if (response.statusCode() >= 400) {
      try (InputStream problem = response.body()) {
        throw new ApiException(
            response.statusCode(),
            lenientJson(new String(problem.readAllBytes(), StandardCharsets.UTF_8)));
      } catch (IOException e) {
        throw new UnreachableException(api, e);
      }
    }
    return response.body();
  }

  /** One part of a multipart/form-data body: its headers, its content, the line break after it. */
  private static HttpRequest.BodyPublisher part(
      String boundary,
      String name,
      String filename,
      String contentType,
      HttpRequest.BodyPublisher content) {
    String head =
        "--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\""
            + name
            + "\""
            + (filename == null ? "" : "; filename=\"" + filename + "\"")
            + "\r\nContent-Type: "
            + contentType
            + "\r\n\r\n";
    return HttpRequest.BodyPublishers.concat(
        HttpRequest.BodyPublishers.ofString(head, StandardCharsets.UTF_8),
        content,
        HttpRequest.BodyPublishers.ofString("\r\n"));
  }

  private static HttpRequest.BodyPublisher file(Path file) {
    try {
      return HttpRequest.BodyPublishers.ofFile(file);
    } catch (FileNotFoundException e) {
      throw new IllegalArgumentException("no such file: " + file, e);
    }
  }

  public JsonNode datasets() {
    return send(HttpRequest.newBuilder(api.resolve("datasets")).GET());
  }

  public JsonNode deleteDataset(String id) {
    return send(HttpRequest.newBuilder(api.resolve("datasets/" + encode(id))).DELETE());
  }

  /** Who the key speaks for, with which roles. */
  public JsonNode me() {
    return send(HttpRequest.newBuilder(api.resolve("me")).GET());
  }

  /** Follows a run's Server-Sent Events until the server ends the stream. */
  public void events(String id, Consumer<Event> onEvent) {
    stream(HttpRequest.newBuilder(api.resolve("runs/" + encode(id) + "/events")).GET(), onEvent);
  }

  /** Sends a request whose answer is Server-Sent Events, each to {@code onEvent} as it comes. */
  private void stream(HttpRequest.Builder request, Consumer<Event> onEvent) {
    HttpRequest http =
        request
            .header("Accept", "text/event-stream")
            .timeout(Duration.ofSeconds(30)) // until the headers come; the stream itself may last
            .build();
    HttpResponse<Stream<String>> response = exchange(http, HttpResponse.BodyHandlers.ofLines());
    try (Stream<String> lines = response.body()) {
      if (response.statusCode() >= 400) {
        throw new ApiException(
            response.statusCode(), lenientJson(lines.collect(Collectors.joining("\n"))));
      }
      EventParser parser = new EventParser(onEvent);
      lines.forEach(parser::line);
      parser.end();
    } catch (UncheckedIOException e) {
      throw new UnreachableException(api, e.getCause());
    }
  }

  /** Polls a run until it ends; {@code onPoll} sees every view fetched. */
  public JsonNode await(String id, Duration timeout, Consumer<JsonNode> onPoll) {
    return await(id, timeout, onPoll, Bd3Client::isTerminal);
  }

  /** Polls a run until {@code done} holds for its view (or it ends). */
  public JsonNode await(
      String id, Duration timeout, Consumer<JsonNode> onPoll, Predicate<JsonNode> done) {
    Instant deadline = Instant.now().plus(timeout);
    while (true) {
      JsonNode view = run(id);
      onPoll.accept(view);
      if (done.test(view) || isTerminal(view)) {
        return view;
      }
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException(
            "run " + id + " still " + view.path("status") + " after " + timeout);
      }
      sleep(pollInterval);
    }
  }

  /** Whether a run view's status is final: SUCCEEDED, FAILED or CANCELLED. */
  public static boolean isTerminal(JsonNode view) {
    return TERMINAL.contains(view.path("status").asText());
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
    return send(request, Duration.ofSeconds(30));
  }

  private JsonNode send(HttpRequest.Builder request, Duration timeout) {
    HttpResponse<String> response =
        exchange(request.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
    JsonNode body = lenientJson(response.body());
    if (response.statusCode() >= 400) {
      throw new ApiException(response.statusCode(), body);
    }
    return body;
  }

  private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    HttpRequest signed =
        key == null
            ? request
            : HttpRequest.newBuilder(request, (name, value) -> true)
                .header("Authorization", "Bearer " + key)
                .build();
    try {
      return http.send(signed, handler);
    } catch (IOException e) {
      throw new UnreachableException(api, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The body as JSON; text that is not JSON (a proxy's error page) as a JSON string. */
  private static JsonNode lenientJson(String body) {
    if (body == null || body.isBlank()) {
      return JSON.nullNode();
    }
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return JSON.getNodeFactory().textNode(body);
    }
  }

  /** {@code ?k=v&...} of the pairs whose value is not null; empty when there are none. */
  private static String query(String... pairs) {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < pairs.length; i += 2) {
      if (pairs[i + 1] != null) {
        parts.add(pairs[i] + "=" + encode(pairs[i + 1]));
      }
    }
    return parts.isEmpty() ? "" : "?" + String.join("&", parts);
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
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
