package dev.bd3.testsupport;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.Json;
import dev.bd3.jobs.SpecCatalog;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Generated requests to every endpoint of the gateway's API, full of what an attacker or a broken
 * client sends: hostile strings, huge and negative numbers, wrong types, deep nesting, unknown
 * fields, bodies that are not JSON, wrong content types, unknown paths and methods. Built from
 * jqwik's generators; the fuzz test and {@code bench/run fuzz} send them ({@link Fuzzer}).
 */
public final class HostileRequests {
  private HostileRequests() {}

  /** What an endpoint does to the state of things, which decides who may get a 2xx from it. */
  public enum Effect {
    /** Reads only. */
    NONE,
    /** Submits a job: submitters and admins. */
    SUBMIT,
    /** Cancels a run: its owner (a submitter) or an admin. */
    CANCEL,
    /** Keys, dead-letter replay: admins only. */
    ADMIN
  }

  /** One request: {@code contentType} may be empty (none sent), {@code body} null (none). */
  public record Request(
      String method, String path, String contentType, String body, Effect effect) {
    @Override
    public String toString() {
      String shown =
          body == null ? "" : body.length() > 200 ? body.substring(0, 200) + "..." : body;
      return method
          + " "
          + (path.length() > 200 ? path.substring(0, 200) + "..." : path)
          + " "
          + shown;
    }
  }

  private static final List<String> FIXED =
      List.of(
          "",
          " ",
          "../../../../etc/passwd",
          "..%2f..%2fetc%2fshadow",
          "file:///etc/shadow",
          "/etc/shadow",
          "C:\\Windows\\system32",
          "'; DROP TABLE runs; --",
          "\" OR 1=1 --",
          "${jndi:ldap://127.0.0.1/x}",
          "#{7*7}",
          "<script>alert(1)</script>",
          "\u0000",
          "\u202e\u0000\uffff",
          "\ud83d\ude00",
          "%00",
          "%s%s%s%n",
          "NaN",
          "Infinity",
          "-0",
          "null",
          "true",
          "00000000-0000-0000-0000-000000000000",
          "train",
          "TRAIN",
          "europarl",
          "ddpm");

  private static final List<String> NUMBERS =
      List.of(
          "0",
          "-1",
          "-0",
          "1e309",
          "-1e309",
          "1e-400",
          "9223372036854775807",
          "9223372036854775808",
          "-9223372036854775809",
          "2147483648",
          "123456789012345678901234567890",
          "0.1e99999",
          "1.0000000000000000000001");

  /** Text a client should never send, and text it might. */
  public static Arbitrary<String> text() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.of(FIXED)),
        Tuple.of(3, Arbitraries.strings().all().ofMaxLength(40)),
        Tuple.of(2, Arbitraries.strings().alpha().numeric().withChars("-_.:/@").ofMaxLength(40)),
        Tuple.of(1, Arbitraries.integers().between(1_000, 200_000).map("A"::repeat)));
  }

  /** A JSON number literal: ordinary, huge, tiny, past every integer type. */
  static Arbitrary<String> number() {
    return Arbitraries.frequencyOf(
        Tuple.of(2, Arbitraries.of(NUMBERS)),
        Tuple.of(2, Arbitraries.longs().map(String::valueOf)),
        Tuple.of(1, Arbitraries.integers().between(-5, 70_000).map(String::valueOf)),
        Tuple.of(
            1, Arbitraries.doubles().map(d -> Double.isFinite(d) ? String.valueOf(d) : "1e999")));
  }

  /** Any JSON value, nested up to {@code depth}. */
  static Arbitrary<String> value(int depth) {
    Arbitrary<String> scalar =
        Arbitraries.frequencyOf(
            Tuple.of(3, text().map(HostileRequests::quote)),
            Tuple.of(3, number()),
            Tuple.of(1, Arbitraries.of("true", "false", "null")));
    if (depth == 0) {
      return scalar;
    }
    Arbitrary<String> array =
        Arbitraries.lazy(() -> value(depth - 1))
            .list()
            .ofMaxSize(4)
            .map(items -> "[" + String.join(",", items) + "]");
    Arbitrary<String> object =
        Combinators.combine(
                Arbitraries.oneOf(text(), Arbitraries.of(fieldNames())).map(HostileRequests::quote),
                Arbitraries.lazy(() -> value(depth - 1)))
            .as((k, v) -> k + ":" + v)
            .list()
            .ofMaxSize(4)
            .map(pairs -> "{" + String.join(",", pairs) + "}");
    return Arbitraries.frequencyOf(Tuple.of(4, scalar), Tuple.of(1, array), Tuple.of(1, object));
  }

  /** Arrays or objects nested far deeper than any parser should follow. */
  static Arbitrary<String> deepNesting() {
    return Arbitraries.integers()
        .between(200, 20_000)
        .flatMap(
            n ->
                Arbitraries.of(
                    "[".repeat(n) + "]".repeat(n),
                    "{\"spec\":".repeat(n) + "{}" + "}".repeat(n),
                    "[".repeat(n)));
  }

  /** A job submission of a real type with some of its fields given hostile values. */
  static Arbitrary<String> submission() {
    Arbitrary<String> type =
        Arbitraries.frequencyOf(
            Tuple.of(6, Arbitraries.of(JobType.values()).map(JobType::json)), Tuple.of(1, text()));
    return type.flatMap(
        t -> {
          List<String> fields = fieldNames(JobType.parse(t));
          Arbitrary<String> spec =
              Combinators.combine(Arbitraries.of(fields).map(HostileRequests::quote), value(2))
                  .as((k, v) -> k + ":" + v)
                  .list()
                  .ofMaxSize(5)
                  .map(pairs -> "{" + String.join(",", pairs) + "}");
          Arbitrary<String> extra =
              Arbitraries.of(
                  "",
                  ",\"name\":" + quote("n"),
                  ",\"timeoutSeconds\":-5",
                  ",\"timeoutSeconds\":9223372036854775807",
                  ",\"unknown\":1",
                  ",\"spec\":[]",
                  ",\"type\":\"sample\"");
          return Combinators.combine(spec, extra)
              .as((s, e) -> "{\"type\":" + quote(t) + ",\"spec\":" + s + e + "}");
        });
  }

  /** A request body: mostly submissions, then any JSON, deep nesting, text that is not JSON. */
  static Arbitrary<String> body() {
    return Arbitraries.frequencyOf(
        Tuple.of(6, submission()),
        Tuple.of(2, value(3)),
        Tuple.of(1, deepNesting()),
        Tuple.of(1, text()),
        Tuple.of(1, Arbitraries.just("")));
  }

  /**
   * A path segment: a known id (a run of the test's), or anything, percent-encoded as a client
   * would.
   */
  static Arbitrary<String> id(List<String> knownIds) {
    Arbitrary<String> hostile = Arbitraries.oneOf(text(), number()).map(HostileRequests::segment);
    return knownIds.isEmpty()
        ? hostile
        : Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.of(knownIds)), Tuple.of(2, hostile));
  }

  /** An id that names nothing that exists (for endpoints whose success would change much). */
  static Arbitrary<String> unknownId() {
    return Arbitraries.oneOf(
        Arbitraries.create(() -> java.util.UUID.randomUUID().toString()),
        text().filter(s -> !s.isEmpty()).map(HostileRequests::segment));
  }

  private static Arbitrary<String> query(String... names) {
    return Arbitraries.of(names)
        .flatMap(
            name ->
                Arbitraries.oneOf(text(), number())
                    .map(v -> name + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8)))
        .list()
        .ofMaxSize(3)
        .map(q -> q.isEmpty() ? "" : "?" + String.join("&", q));
  }

  /**
   * Requests to every endpoint. {@code knownIds} are runs that exist (some requests name them);
   * cancellations name them too, so that who may cancel whose run is tried.
   */
  public static Arbitrary<Request> requests(List<String> knownIds) {
    Arbitrary<String> json =
        Arbitraries.frequencyOf(
            Tuple.of(8, Arbitraries.just("application/json")),
            Tuple.of(
                1,
                Arbitraries.of(
                    "text/plain", "application/xml", "application/json; charset=latin1")),
            Tuple.of(1, Arbitraries.just(""))); // none
    Arbitrary<String> run = id(knownIds);
    List<Arbitrary<Request>> endpoints = new ArrayList<>();
    endpoints.add(get("/api/v1/catalog"));
    endpoints.add(get("/api/v1/me"));
    endpoints.add(
        query("type", "status", "limit", "owner", "offset").map(q -> read("/api/v1/runs" + q)));
    endpoints.add(run.map(id -> read("/api/v1/runs/" + id)));
    endpoints.add(
        Combinators.combine(run, query("name"))
            .as((id, q) -> read("/api/v1/runs/" + id + "/metrics" + q)));
    endpoints.add(run.map(id -> read("/api/v1/runs/" + id + "/checkpoints")));
    endpoints.add(run.map(id -> read("/api/v1/runs/" + id + "/samples")));
    endpoints.add(
        Combinators.combine(run, Arbitraries.of("0", "latest", "-1", "x", "99999999999999999999"))
            .as((id, step) -> read("/api/v1/runs/" + id + "/checkpoints/" + step + "/release")));
    endpoints.add(run.map(id -> read("/api/v1/runs/" + id)));
    // a live stream of an unfinished run would not end: only ids that name nothing
    endpoints.add(unknownId().map(id -> read("/api/v1/runs/" + id + "/events")));
    endpoints.add(
        Combinators.combine(json, body())
            .as((type, b) -> new Request("POST", "/api/v1/runs", type, b, Effect.SUBMIT)));
    endpoints.add(
        run.map(
            id -> new Request("POST", "/api/v1/runs/" + id + "/cancel", "", null, Effect.CANCEL)));
    endpoints.add(query("limit").map(q -> read("/api/v1/dead-letters" + q)));
    // offsets past any parked message: replaying a real one would disturb others' tests
    endpoints.add(
        Combinators.combine(
                Arbitraries.oneOf(number(), text().map(HostileRequests::segment)),
                Arbitraries.oneOf(
                    Arbitraries.longs()
                        .between(1_000_000_000_000L, Long.MAX_VALUE)
                        .map(String::valueOf),
                    Arbitraries.longs().lessOrEqual(-1).map(String::valueOf),
                    text().filter(s -> !s.isEmpty()).map(HostileRequests::segment)))
            .as(
                (p, o) ->
                    new Request(
                        "POST",
                        "/api/v1/dead-letters/" + segment(p) + "/" + o + "/replay",
                        "",
                        null,
                        Effect.ADMIN)));
    endpoints.add(query("limit", "owner").map(q -> read("/api/v1/datasets" + q)));
    endpoints.add(unknownId().map(id -> read("/api/v1/datasets/" + id)));
    endpoints.add(
        unknownId()
            .map(id -> new Request("DELETE", "/api/v1/datasets/" + id, "", null, Effect.ADMIN)));
    endpoints.add(
        Combinators.combine(
                Arbitraries.frequencyOf(
                    Tuple.of(6, Arbitraries.just("text/plain")),
                    Tuple.of(1, Arbitraries.of("text/plain; charset=latin1", "application/json")),
                    Tuple.of(1, Arbitraries.just(""))),
                query("name"),
                datasetText())
            .as(
                (type, q, text) ->
                    new Request("POST", "/api/v1/datasets" + q, type, text, Effect.SUBMIT)));
    endpoints.add(get("/api/v1/keys"));
    endpoints.add(
        Combinators.combine(json, Arbitraries.oneOf(value(2), keyRequest()))
            .as((type, b) -> new Request("POST", "/api/v1/keys", type, b, Effect.ADMIN)));
    endpoints.add(
        unknownId().map(id -> new Request("DELETE", "/api/v1/keys/" + id, "", null, Effect.ADMIN)));
    // what is not there: other methods, other paths
    endpoints.add(
        Combinators.combine(
                Arbitraries.of("PUT", "PATCH", "DELETE", "OPTIONS", "GET", "POST"),
                Arbitraries.of(
                    "/api/v1/jobs",
                    "/api/v1/runs",
                    "/api/v1/nothing",
                    "/api/v2/jobs",
                    "/api/v1/runs/x/y/z"),
                body())
            .as((m, p, b) -> new Request(m, p, "application/json", b, effectOf(m))));
    return Arbitraries.oneOf(endpoints);
  }

  /** What a method could do on a path that does not take it: reads read, anything else writes. */
  private static Effect effectOf(String method) {
    return switch (method) {
      case "GET", "OPTIONS" -> Effect.NONE;
      case "POST" -> Effect.SUBMIT;
      default -> Effect.ADMIN;
    };
  }

  /** What an upload sends: pieces of hostile text, as lines and paragraphs, or nothing. */
  private static Arbitrary<String> datasetText() {
    return Combinators.combine(
            text().list().ofMaxSize(120), Arbitraries.of("\n", "\n\n", "\r\n", "\t"))
        .as((pieces, separator) -> String.join(separator, pieces));
  }

  private static Arbitrary<String> keyRequest() {
    return Combinators.combine(
            Arbitraries.oneOf(
                text(),
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(10)),
            Arbitraries.of("reader", "submitter", "admin", "root", "").list().ofMaxSize(3))
        .as(
            (name, roles) ->
                "{\"name\":"
                    + quote(name)
                    + ",\"roles\":["
                    + roles.stream().map(HostileRequests::quote).collect(Collectors.joining(","))
                    + "]}");
  }

  private static Arbitrary<Request> get(String path) {
    return Arbitraries.just(read(path));
  }

  private static Request read(String path) {
    return new Request("GET", path, "", null, Effect.NONE);
  }

  /** The fields of every spec, and of one type's when it is known. */
  private static List<String> fieldNames(JobType type) {
    List<String> names = new ArrayList<>(fieldNames());
    if (type != null) {
      names.addAll(SpecCatalog.fields(type).stream().map(SpecCatalog.Field::name).toList());
    }
    names.add("unknownField");
    return names;
  }

  private static List<String> fieldNames() {
    return Arrays.stream(JobType.values())
        .flatMap(t -> SpecCatalog.fields(t).stream())
        .map(SpecCatalog.Field::name)
        .distinct()
        .toList();
  }

  /** A JSON string literal (unpaired surrogates and all: Jackson escapes what it must). */
  static String quote(String text) {
    try {
      return Json.mapper().writeValueAsString(text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String segment(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
