package dev.bd3.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A stand-in for the gateway's REST API on a real HTTP server (the JDK's): each route answers with
 * canned JSON, and every request is kept for the test to look at.
 */
final class FakeGateway implements AutoCloseable {
  record Request(
      String method, String path, String query, Map<String, List<String>> headers, byte[] bytes) {
    /** The body as text (UTF-8). */
    String body() {
      return new String(bytes, StandardCharsets.UTF_8);
    }

    /** A header's first value; names in any case, as HTTP has them. */
    String header(String name) {
      for (Map.Entry<String, List<String>> header : headers.entrySet()) {
        if (header.getKey().equalsIgnoreCase(name)) {
          return header.getValue().get(0);
        }
      }
      return null;
    }
  }

  record Answer(int status, String contentType, byte[] body) {
    Answer(int status, String contentType, String body) {
      this(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    static Answer json(int status, String body) {
      return new Answer(status, "application/json", body);
    }

    static Answer problem(int status, String body) {
      return new Answer(status, "application/problem+json", body);
    }
  }

  final List<Request> requests = new CopyOnWriteArrayList<>();
  private final Map<String, Function<Request, Answer>> routes = new ConcurrentHashMap<>();
  private final HttpServer server;

  FakeGateway() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Answers {@code METHOD path} (the path without its query). */
  FakeGateway on(String method, String path, Function<Request, Answer> answer) {
    routes.put(method + " " + path, answer);
    return this;
  }

  FakeGateway on(String method, String path, Answer answer) {
    return on(method, path, request -> answer);
  }

  /** Answers with each of {@code answers} in turn, then with the last one again and again. */
  FakeGateway onInTurn(String method, String path, Answer... answers) {
    AtomicInteger next = new AtomicInteger();
    return on(
        method, path, request -> answers[Math.min(next.getAndIncrement(), answers.length - 1)]);
  }

  /** The last request to a path, or null. */
  Request last(String path) {
    Request found = null;
    for (Request r : requests) {
      if (r.path().equals(path)) {
        found = r;
      }
    }
    return found;
  }

  /** A run view as the gateway writes it. */
  static ObjectNode view(String id, String type, String status, long step, long total) {
    ObjectNode view =
        Bd3Client.object()
            .put("id", id)
            .put("type", type)
            .put("status", status)
            .put("name", "label-" + id)
            .put("createdAt", "2025-03-01T10:00:00Z");
    view.putObject("progress").put("step", step).put("total", total).put("etaSeconds", 61.2);
    view.putNull("error");
    return view;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      Request request =
          new Request(
              exchange.getRequestMethod(),
              exchange.getRequestURI().getPath(),
              exchange.getRequestURI().getRawQuery(),
              Map.copyOf(exchange.getRequestHeaders()),
              exchange.getRequestBody().readAllBytes());
      requests.add(request);
      Function<Request, Answer> route = routes.get(request.method() + " " + request.path());
      Answer answer =
          route != null
              ? route.apply(request)
              : Answer.problem(
                  404,
                  "{\"type\":\"urn:bd3:problem:not-found\",\"title\":\"Not found\",\"status\":404,"
                      + "\"detail\":\"no route "
                      + request.path()
                      + "\"}");
      byte[] body = answer.body();
      exchange.getResponseHeaders().set("Content-Type", answer.contentType());
      exchange.sendResponseHeaders(answer.status(), body.length == 0 ? -1 : body.length);
      if (body.length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
