package dev.bd3.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bd3.jobs.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.RandomGenerator;
import net.jqwik.api.sessions.JqwikSession;

/**
 * Sends {@link HostileRequests} to a running gateway as each kind of caller and judges every
 * answer: never a 5xx; an error always an RFC 7807 problem; never a success that the caller's roles
 * do not allow; and afterwards, as the admin sees it, no run, key or cancellation made by a caller
 * that may not make it.
 */
public final class Fuzzer {
  private static final String PROBLEM = "application/problem+json";

  /** The status counted for a request whose connection ended without an answer. */
  public static final int NO_ANSWER = 0;

  /**
   * What the HTTP codec answers before a request reaches the application: a request line or headers
   * past the server's limits (Quarkus gives no hook to shape these answers).
   */
  private static final Set<Integer> CODEC_REFUSALS = Set.of(414, 431);

  /** Quarkus' default {@code quarkus.http.limits.max-initial-line-length} (the gateway's). */
  private static final int MAX_REQUEST_LINE = 4096;

  /** A caller: its name in reports, its key (null: none), its roles. */
  public record Caller(String label, String key, Set<String> roles) {
    boolean may(HostileRequests.Effect effect) {
      return switch (effect) {
        case NONE -> true;
        case SUBMIT, CANCEL -> roles.contains("submitter") || roles.contains("admin");
        case ADMIN -> roles.contains("admin");
      };
    }
  }

  /** The five callers of a fuzz run, in the order they take turns. */
  public static List<Caller> callers(String readerKey, String submitterKey, String adminKey) {
    return List.of(
        new Caller("no key", null, Set.of()),
        new Caller("a bad key", "bd3_" + "0".repeat(43), Set.of()),
        new Caller("a reader", readerKey, Set.of("reader")),
        new Caller("a submitter", submitterKey, Set.of("submitter")),
        new Caller("the admin", adminKey, Set.of("admin")));
  }

  /**
   * What a run found; {@code findings} holds the first few, each with its request. {@code
   * codecRefusals}: requests refused as too long by the HTTP codec (414, 431), not errors.
   */
  public record Report(
      int requests,
      int serverErrors,
      int errorsWithoutProblem,
      int unauthorisedChanges,
      int codecRefusals,
      Map<Integer, Integer> statuses,
      List<String> findings) {}

  private final URI base;
  private final String adminKey;
  private HttpClient http = newClient();

  /** A fuzzer of the gateway at {@code base}; {@code adminKey} takes the before and after look. */
  public Fuzzer(URI base, String adminKey) {
    this.base = base;
    this.adminKey = adminKey;
  }

  /**
   * Sends {@code n} requests drawn with {@code seed}, each as one of {@code callers} in turn.
   * {@code sentinel} is a queued run of the admin's that only the admin may cancel; {@code
   * knownIds} are runs the requests may name (the sentinel among them).
   */
  public Report run(int n, long seed, List<Caller> callers, String sentinel, List<String> knownIds)
      throws IOException, InterruptedException {
    // jqwik's generators outside a jqwik property need a session of their own on this thread
    JqwikSession.start();
    try {
      return fuzz(n, seed, callers, sentinel, knownIds);
    } finally {
      JqwikSession.finish();
    }
  }

  private Report fuzz(
      int n, long seed, List<Caller> callers, String sentinel, List<String> knownIds)
      throws IOException, InterruptedException {
    Arbitrary<HostileRequests.Request> requests = HostileRequests.requests(knownIds);
    RandomGenerator<HostileRequests.Request> generator = requests.generator(1000);
    Random random = new Random(seed);
    int serverErrors = 0;
    int codecRefusals = 0;
    int withoutProblem = 0;
    int unauthorised = 0;
    int keysMade = 0;
    int keysRevoked = 0;
    boolean adminCancelledSentinel = false;
    Map<Integer, Integer> statuses = new java.util.TreeMap<>();
    List<String> findings = new ArrayList<>();
    Map<String, Integer> keysBefore = keyStates();
    for (int i = 0; i < n; i++) {
      Caller caller = callers.get(i % callers.size());
      HostileRequests.Request request = generator.next(random).value();
      HttpResponse<String> response;
      try {
        response = send(request, caller.key());
      } catch (IOException e) {
        if (request.body() != null && requestLine(request) > MAX_REQUEST_LINE) {
          // the codec refused the request line and closed the connection while the body was still
          // being sent, so the client never read the 414: a codec refusal all the same
          codecRefusals++;
          statuses.merge(NO_ANSWER, 1, Integer::sum);
          http = newClient();
          continue;
        }
        // the connection ended without an answer: as bad as a 5xx
        serverErrors++;
        statuses.merge(NO_ANSWER, 1, Integer::sum);
        note(findings, "no answer (" + e.getMessage() + ") as " + caller.label() + ": " + request);
        continue;
      }
      int status = response.statusCode();
      statuses.merge(status, 1, Integer::sum);
      String type = response.headers().firstValue("Content-Type").orElse("");
      if (CODEC_REFUSALS.contains(status)) {
        // refused by the HTTP codec before any application code (no body can be given there);
        // the server closes that connection: start afresh rather than race its closing
        codecRefusals++;
        http = newClient();
        continue;
      }
      if (status >= 500) {
        serverErrors++;
        note(findings, status + " as " + caller.label() + ": " + request);
      } else if (status >= 400 && !type.startsWith(PROBLEM)) {
        withoutProblem++;
        note(
            findings,
            status
                + " without a problem body ("
                + type
                + ") as "
                + caller.label()
                + ": "
                + request);
      }
      if (status >= 200 && status < 300 && !caller.may(request.effect())) {
        unauthorised++;
        note(findings, status + " for a change " + caller.label() + " may not make: " + request);
      }
      if (status == 201 && request.path().equals("/api/v1/keys")) {
        keysMade++;
      }
      if (status == 200
          && request.method().equals("DELETE")
          && request.path().startsWith("/api/v1/keys/")) {
        keysRevoked++;
      }
      if (status == 202 && request.path().contains(sentinel) && caller.roles().contains("admin")) {
        adminCancelledSentinel = true;
      }
    }
    // what the admin sees afterwards: keys made or revoked only by the admin's successes
    Map<String, Integer> keysAfter = keyStates();
    if (keysAfter.getOrDefault("active", 0)
            + keysAfter.getOrDefault("revoked", 0)
            - keysBefore.getOrDefault("active", 0)
            - keysBefore.getOrDefault("revoked", 0)
        != keysMade) {
      unauthorised++;
      note(
          findings,
          "keys: "
              + keysBefore
              + " before, "
              + keysAfter
              + " after, "
              + keysMade
              + " made by the admin");
    }
    if (keysAfter.getOrDefault("revoked", 0) - keysBefore.getOrDefault("revoked", 0)
        > keysRevoked) {
      unauthorised++;
      note(findings, "keys revoked beyond the admin's " + keysRevoked);
    }
    String sentinelStatus = admin("/api/v1/runs/" + sentinel).path("status").asText();
    if (!adminCancelledSentinel && !sentinelStatus.equals("QUEUED")) {
      unauthorised++;
      note(
          findings,
          "the admin's run " + sentinel + " is " + sentinelStatus + ", cancelled by no admin");
    }
    for (Caller c : callers) {
      String name = c.key() == null || c.may(HostileRequests.Effect.SUBMIT) ? null : meOf(c.key());
      if (name != null) {
        String owner = "owner=" + URLEncoder.encode(name, StandardCharsets.UTF_8);
        for (String made : List.of("runs?limit=500&", "datasets?limit=100&")) {
          int owned = admin("/api/v1/" + made + owner).size();
          if (owned > 0) {
            unauthorised += owned;
            note(findings, owned + " " + made + " of " + c.label() + ", which may not submit");
          }
        }
      }
    }
    return new Report(
        n, serverErrors, withoutProblem, unauthorised, codecRefusals, statuses, findings);
  }

  /** The length of the request line as sent: method, the path's URI form, version. */
  private int requestLine(HostileRequests.Request r) {
    URI uri = base.resolve(r.path());
    String query = uri.getRawQuery();
    return r.method().length()
        + 1
        + uri.getRawPath().length()
        + (query == null ? 0 : query.length() + 1)
        + " HTTP/1.1".length();
  }

  private HttpResponse<String> send(HostileRequests.Request r, String key)
      throws IOException, InterruptedException {
    HttpRequest.BodyPublisher body =
        r.body() == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(r.body());
    HttpRequest.Builder request =
        HttpRequest.newBuilder(base.resolve(r.path()))
            .timeout(Duration.ofSeconds(30))
            .method(r.method(), body);
    if (!r.contentType().isEmpty()) {
      request.header("Content-Type", r.contentType());
    }
    if (key != null) {
      request.header("Authorization", "Bearer " + key);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpClient newClient() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  /** How many keys are active and how many revoked. */
  private Map<String, Integer> keyStates() throws IOException, InterruptedException {
    Map<String, Integer> states = new LinkedHashMap<>();
    for (JsonNode k : admin("/api/v1/keys")) {
      states.merge(
          k.path("revokedAt").isNull() || k.path("revokedAt").isMissingNode()
              ? "active"
              : "revoked",
          1,
          Integer::sum);
    }
    return states;
  }

  private String meOf(String key) throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(base.resolve("/api/v1/me"))
                .header("Authorization", "Bearer " + key)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return r.statusCode() == 200 ? Json.mapper().readTree(r.body()).path("name").asText() : null;
  }

  private JsonNode admin(String path) throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(base.resolve(path))
                .header("Authorization", "Bearer " + adminKey)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(
          "GET " + path + " as the admin: " + r.statusCode() + " " + r.body());
    }
    return Json.mapper().readTree(r.body());
  }

  private static void note(List<String> findings, String finding) {
    if (findings.size() < 20) {
      findings.add(finding);
    }
  }
}
