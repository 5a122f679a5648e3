package dev.bd3.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.testsupport.Fuzzer;
import dev.bd3.testsupport.LocalStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Thousands of generated hostile requests ({@code HostileRequests}) to every endpoint, as no one, a
 * bad key, a reader, a submitter and an admin: never a 5xx, every error a problem, no change made
 * by a caller whose roles do not allow it.
 */
@QuarkusTest
@QuarkusTestResource(LocalStack.class)
class FuzzTest {
  private static final int REQUESTS = 3000;

  @TestHTTPResource("/")
  URI base;

  @BeforeEach
  void signOut() {
    TestKeys.signOut();
  }

  @Test
  void hostileRequestsGetProblemsNeverServerErrorsAndChangeOnlyWhatTheRoleAllows()
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String admin = TestKeys.admin();
    String submitter = TestKeys.create("fuzz-submitter-" + suffix, "submitter");
    String reader = TestKeys.create("fuzz-reader-" + suffix, "reader");
    String sentinel = submit(admin);
    List<String> known = List.of(sentinel, submit(submitter), submit(admin));
    List<Fuzzer.Caller> callers = Fuzzer.callers(reader, submitter, admin);
    long seed = Long.getLong("bd3.fuzz.seed", 20261128L);

    Fuzzer.Report report = new Fuzzer(base, admin).run(REQUESTS, seed, callers, sentinel, known);

    String summary =
        "seed "
            + seed
            + ", statuses "
            + report.statuses()
            + ":\n"
            + String.join("\n", report.findings());
    assertEquals(REQUESTS, report.requests());
    assertEquals(0, report.serverErrors(), summary);
    assertEquals(0, report.errorsWithoutProblem(), summary);
    assertEquals(0, report.unauthorisedChanges(), summary);
    // the generator reached the API's answers, not only its refusals
    assertTrue(report.statuses().keySet().stream().anyMatch(s -> s < 300), summary);
    assertTrue(report.statuses().containsKey(400) && report.statuses().containsKey(401), summary);
    assertTrue(report.statuses().containsKey(403) && report.statuses().containsKey(404), summary);
  }

  private static String submit(String key) {
    return io.restassured.RestAssured.given()
        .header(TestKeys.bearer(key))
        .contentType(ContentType.JSON)
        .body("{\"type\":\"train\",\"spec\":{\"steps\":1}}")
        .post("/api/v1/runs")
        .then()
        .statusCode(201)
        .extract()
        .path("id");
  }
}
