package dev.bd3.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.gateway.auth.ApiKeys;
import dev.bd3.gateway.runs.Run;
import dev.bd3.testsupport.LocalStack;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Who may do what: every endpoint for every kind of caller (none, a bad key, a revoked key, reader,
 * submitter, submitter that reads all, admin), run ownership, and the keys themselves.
 */
@QuarkusTest
@QuarkusTestResource(LocalStack.class)
class AuthTest {
  static final String PROBLEM = "application/problem+json";
  private static final String TRAIN = "{\"type\":\"train\",\"spec\":{\"steps\":1}}";
  private static final String DATASET = "first line\nsecond line\nthird line\n";

  /** Keys and runs made once per test JVM (the gateway keeps them). */
  private static Fixture fixture;

  private record Fixture(
      Map<String, String> keys,
      String adminRun,
      String submitterRun,
      String otherSubmitterRun,
      String otherDataset) {}

  @BeforeEach
  void keysAndRuns() {
    TestKeys.signOut();
    if (fixture == null) {
      String suffix = UUID.randomUUID().toString().substring(0, 8);
      Response revokedKey = TestKeys.make("revoked-" + suffix, "reader");
      String revoked = revokedKey.then().statusCode(201).extract().path("key");
      given()
          .header(TestKeys.bearer(TestKeys.admin()))
          .delete("/api/v1/keys/" + revokedKey.path("info.id"))
          .then()
          .statusCode(200);
      Map<String, String> keys =
          Map.of(
              "reader", TestKeys.create("reader-" + suffix, "reader"),
              "submitter", TestKeys.create("alice-" + suffix, "submitter"),
              "other", TestKeys.create("bob-" + suffix, "submitter"),
              "submitter+reader", TestKeys.create("carol-" + suffix, "submitter", "reader"),
              "admin", TestKeys.admin(),
              "revoked", revoked,
              "bad", "bd3_" + "x".repeat(43));
      fixture =
          new Fixture(
              keys,
              submit(keys.get("admin")),
              submit(keys.get("submitter")),
              submit(keys.get("other")),
              as(keys.get("other"))
                  .contentType(ContentType.TEXT)
                  .body(DATASET)
                  .post("/api/v1/datasets?name=bobs")
                  .then()
                  .statusCode(201)
                  .extract()
                  .path("id"));
    }
  }

  private static String submit(String key) {
    return as(key)
        .contentType(ContentType.JSON)
        .body(TRAIN)
        .post("/api/v1/runs")
        .then()
        .statusCode(201)
        .extract()
        .path("id");
  }

  private static RequestSpecification as(String key) {
    return key == null ? given() : given().header(TestKeys.bearer(key));
  }

  /**
   * One endpoint and what each caller gets: {@code none, bad, revoked, reader, submitter,
   * submitter+reader, admin}. {@code {own}} is a run of the submitter, {@code {other}} the admin's.
   */
  private record Row(String method, String path, String body, int... expected) {
    @Override
    public String toString() {
      return method + " " + path;
    }
  }

  private static final List<String> CALLERS =
      List.of("none", "bad", "revoked", "reader", "submitter", "submitter+reader", "admin");

  static List<Row> table() {
    return List.of(
        new Row("GET", "/api/v1/catalog", null, 401, 401, 401, 200, 200, 200, 200),
        new Row("GET", "/api/v1/me", null, 401, 401, 401, 200, 200, 200, 200),
        new Row("GET", "/api/v1/runs", null, 401, 401, 401, 200, 200, 200, 200),
        new Row("GET", "/api/v1/runs/{other}", null, 401, 401, 401, 200, 404, 200, 200),
        new Row("GET", "/api/v1/runs/{own}", null, 401, 401, 401, 200, 200, 200, 200),
        new Row("GET", "/api/v1/runs/{other}/metrics", null, 401, 401, 401, 200, 404, 200, 200),
        new Row("GET", "/api/v1/runs/{other}/checkpoints", null, 401, 401, 401, 200, 404, 200, 200),
        new Row(
            "GET",
            "/api/v1/runs/{other}/checkpoints/latest/release", // no checkpoint: 404 once admitted
            null,
            401,
            401,
            401,
            404,
            404,
            404,
            404),
        new Row("GET", "/api/v1/runs/{other}/samples", null, 401, 401, 401, 200, 404, 200, 200),
        new Row("GET", "/api/v1/jobs/{other}", null, 401, 401, 401, 200, 404, 200, 200),
        new Row("GET", "/api/v1/jobs/{own}", null, 401, 401, 401, 200, 200, 200, 200),
        new Row("POST", "/api/v1/runs", TRAIN, 401, 401, 401, 403, 201, 201, 201),
        new Row("POST", "/api/v1/runs/{other}/cancel", null, 401, 401, 401, 403, 404, 403, 202),
        new Row("POST", "/api/v1/runs/{own}/cancel", null, 401, 401, 401, 403, 202, 202, 202),
        new Row("GET", "/api/v1/dead-letters", null, 401, 401, 401, 403, 403, 403, 200),
        new Row(
            "POST",
            "/api/v1/dead-letters/0/999999999/replay",
            null,
            401,
            401,
            401,
            403,
            403,
            403,
            404),
        new Row("GET", "/api/v1/datasets", null, 401, 401, 401, 200, 200, 200, 200),
        new Row("GET", "/api/v1/datasets/{dataset}", null, 401, 401, 401, 200, 404, 200, 200),
        new Row(
            "POST", "/api/v1/datasets?name=t-{random}", DATASET, 401, 401, 401, 403, 201, 201, 201),
        new Row("DELETE", "/api/v1/datasets/{random}", null, 401, 401, 401, 403, 404, 404, 404),
        new Row("GET", "/api/v1/keys", null, 401, 401, 401, 403, 403, 403, 200),
        new Row(
            "POST",
            "/api/v1/keys",
            "{\"name\":\"made-by-table\",\"roles\":[\"reader\"]}",
            401,
            401,
            401,
            403,
            403,
            403,
            201),
        new Row("DELETE", "/api/v1/keys/{random}", null, 401, 401, 401, 403, 403, 403, 404));
  }

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (Row row : table()) {
      for (int i = 0; i < CALLERS.size(); i++) {
        cases.add(Arguments.of(row, CALLERS.get(i), row.expected()[i]));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} as {1}: {2}")
  @MethodSource("cases")
  void everyEndpointForEveryCaller(Row row, String caller, int expected) {
    String key = caller.equals("none") ? null : fixture.keys().get(caller);
    // a run of this caller's own (made fresh: a cancel ends it), else the admin's
    boolean submits = caller.startsWith("submitter") || caller.equals("admin");
    String own = submits && row.path().contains("{own}") ? submit(key) : fixture.submitterRun();
    String path =
        row.path()
            .replace("{own}", own)
            .replace("{other}", fixture.adminRun())
            .replace("{dataset}", fixture.otherDataset())
            .replace("{random}", UUID.randomUUID().toString());
    if (caller.equals("admin") && row.path().contains("{other}")) {
      path = path.replace(fixture.adminRun(), fixture.otherSubmitterRun());
    }
    RequestSpecification request = as(key);
    if (row.body() != null) {
      request
          .contentType(row.body().startsWith("{") ? ContentType.JSON : ContentType.TEXT)
          .body(row.body());
    }
    Response response = request.request(row.method(), path);
    assertEquals(expected, response.statusCode(), response.asString());
    if (expected >= 400) {
      assertTrue(response.contentType().startsWith(PROBLEM), response.contentType());
      assertEquals(expected, response.jsonPath().getInt("status"));
    }
    if (expected == 401) {
      assertEquals("Bearer realm=\"bd3\"", response.header("WWW-Authenticate"));
    }
  }

  @Test
  void whatIsOpenWithoutAKey() {
    given().get("/q/health/ready").then().statusCode(200);
    given()
        .get("/q/openapi?format=json")
        .then()
        .statusCode(200)
        .body("components.securitySchemes.bearer.scheme", equalTo("bearer"))
        .body("paths.'/api/v1/runs'.post.security[0].bearer", notNullValue());
    given().get("/q/metrics").then().statusCode(200);
    given().get("/").then().statusCode(200).body(containsString("Sign in"));
  }

  @Test
  void aSubmitterListsOnlyItsOwnRunsAndAReaderEveryone() {
    String alice = fixture.keys().get("submitter");
    as(alice)
        .get("/api/v1/runs?limit=500")
        .then()
        .statusCode(200)
        .body("owner", everyItem(equalTo(ownerOf(alice))))
        .body("id", hasItem(fixture.submitterRun()))
        .body("id", not(hasItem(fixture.otherSubmitterRun())));
    as(fixture.keys().get("reader"))
        .get("/api/v1/runs?limit=500")
        .then()
        .statusCode(200)
        .body("id", hasItem(fixture.submitterRun()))
        .body("id", hasItem(fixture.otherSubmitterRun()));
  }

  @Test
  void aSubmitterCannotReadAnothersCheckpointThroughAJob() {
    String bob = fixture.keys().get("other");
    as(bob)
        .contentType(ContentType.JSON)
        .body("{\"type\":\"sample\",\"spec\":{\"trainRunId\":\"" + fixture.adminRun() + "\"}}")
        .post("/api/v1/runs")
        .then()
        .statusCode(404)
        .body("errors[0].field", equalTo("spec.trainRunId"));
  }

  @Test
  void anIdempotencyKeyIsItsOwners() {
    String key = "same-key-" + UUID.randomUUID();
    String first = submitWithIdempotencyKey(fixture.keys().get("submitter"), key);
    assertEquals(first, submitWithIdempotencyKey(fixture.keys().get("submitter"), key));
    String second = submitWithIdempotencyKey(fixture.keys().get("other"), key);
    assertFalse(first.equals(second), "another caller's same key makes another run");
  }

  private static String submitWithIdempotencyKey(String apiKey, String idempotencyKey) {
    return as(apiKey)
        .header("Idempotency-Key", idempotencyKey)
        .contentType(ContentType.JSON)
        .body(TRAIN)
        .post("/api/v1/runs")
        .then()
        .statusCode(anyOf(equalTo(200), equalTo(201)))
        .extract()
        .path("id");
  }

  @Test
  void aKeyIsShownOnceAndStoredOnlyAsItsHash() {
    String name = "once-" + UUID.randomUUID().toString().substring(0, 8);
    Response made = TestKeys.make(name, "reader");
    made.then().statusCode(201).body("info.name", equalTo(name));
    String key = made.path("key");
    assertTrue(key.startsWith("bd3_") && key.length() >= 40, key);
    String listed =
        given()
            .header(TestKeys.bearer(TestKeys.admin()))
            .get("/api/v1/keys")
            .then()
            .extract()
            .asString();
    assertFalse(listed.contains(key), "a list never shows a key");
    assertFalse(listed.contains(key.substring(12)), "nor any part of it past the prefix");
    String stored =
        QuarkusTransaction.requiringNew()
            .call(
                () ->
                    (String)
                        Run.getEntityManager()
                            .createNativeQuery(
                                "select concat_ws(' ', id, name, roles, key_hash, prefix)"
                                    + " from api_keys where name = ?1")
                            .setParameter(1, name)
                            .getSingleResult());
    assertFalse(stored.contains(key), "the database never holds the key");
    assertTrue(stored.contains(ApiKeys.hash(key)), stored);
    as(key).get("/api/v1/me").then().statusCode(200).body("name", equalTo(name));
  }

  @Test
  void aRevokedKeyIsRefusedFromThenOn() {
    String name = "short-lived-" + UUID.randomUUID().toString().substring(0, 8);
    Response made = TestKeys.make(name, "submitter");
    String key = made.path("key");
    as(key).get("/api/v1/runs").then().statusCode(200);
    given()
        .header(TestKeys.bearer(TestKeys.admin()))
        .delete("/api/v1/keys/" + made.path("info.id"))
        .then()
        .statusCode(200)
        .body("revokedAt", not(equalTo(null)));
    as(key).get("/api/v1/runs").then().statusCode(401);
  }

  @Test
  void aNewKeyNeedsANameAndKnownRoles() {
    given()
        .header(TestKeys.bearer(TestKeys.admin()))
        .contentType(ContentType.JSON)
        .body("{\"name\":\"Not A Name!\",\"roles\":[\"reader\",\"root\"]}")
        .post("/api/v1/keys")
        .then()
        .statusCode(400)
        .contentType(PROBLEM)
        .body("errors.field", hasItem("name"))
        .body("errors.field", hasItem("roles[1]"));
  }

  @Test
  void theFirstAdminKeyFileIsItsOwnersOnly() throws Exception {
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of("target/admin-key"))));
  }

  /**
   * Grafana's database login (the local stack's bd3_grafana, a member of bd3_reader, which
   * migration V10 grants SELECT on the run history) reads the history and nothing else: no key
   * hashes, datasets or outbox, no change of any kind. It logs in as itself, password and all: the
   * gateway's user cannot SET ROLE bd3_reader, since it may not grant itself the role (it may not
   * create or grant roles, and the stack makes it no member).
   */
  @Test
  void grafanasDatabaseLoginReadsTheRunHistoryOnly() throws Exception {
    Map<String, String> stack = LocalStack.start(LocalStack.root());
    Properties login = new Properties();
    login.setProperty("user", "bd3_grafana");
    login.setProperty(
        "password",
        Files.readString(Path.of(stack.get("BD3_HOME"), "secrets", "postgres-bd3_grafana"))
            .strip());
    String url = ConfigProvider.getConfig().getValue("quarkus.datasource.jdbc.url", String.class);
    try (Connection c = new org.postgresql.Driver().connect(url, login);
        Statement s = c.createStatement()) {
      for (String table : List.of("runs", "metrics", "checkpoints", "samples", "eval_results")) {
        s.executeQuery("select count(*) from " + table).close();
      }
      c.setAutoCommit(false); // each refusal rolled back: nothing changes even if one were allowed
      for (String refused :
          List.of(
              "select key_hash from api_keys",
              "select owner from datasets",
              "select payload from outbox",
              "select * from flyway_schema_history",
              "delete from runs",
              "update metrics set value = 0",
              "truncate eval_results",
              "drop table samples",
              "create table grafana_was_here (i int)")) {
        try {
          SQLException e = assertThrows(SQLException.class, () -> s.execute(refused), refused);
          assertEquals("42501", e.getSQLState(), refused + ": " + e.getMessage());
        } finally {
          c.rollback();
        }
      }
    }
  }

  /** The principal a key speaks for. */
  private static String ownerOf(String key) {
    return as(key).get("/api/v1/me").then().statusCode(200).extract().path("name");
  }
}
