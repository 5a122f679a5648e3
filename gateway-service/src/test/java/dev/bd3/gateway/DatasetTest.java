package dev.bd3.gateway;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.gateway.auth.Role;
import dev.bd3.gateway.datasets.Datasets;
import dev.bd3.model.spec.CorpusText;
import dev.bd3.testsupport.LocalStack;
import io.quarkus.arc.Arc;
import io.quarkus.arc.ManagedContext;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.security.identity.CurrentIdentityAssociation;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Datasets: uploaded text is checked, hashed, split and stored once; a training job names a dataset
 * by id, and the gateway admits it only when its owner may read it and every split holds a window.
 * The test profile's upload limit is 2 MB.
 */
@QuarkusTest
@QuarkusTestResource(LocalStack.class)
class DatasetTest {
  private static final String PROBLEM = "application/problem+json";
  private static final Path STORE = Path.of("target/artifacts/datasets");
  private static final Duration WAIT = Duration.ofSeconds(20);

  @Inject Datasets datasets;
  @Inject CurrentIdentityAssociation identity;

  private String alice;
  private String bob;

  @BeforeEach
  void keys() {
    TestKeys.signOut();
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    alice = TestKeys.create("alice-" + suffix, "submitter");
    bob = TestKeys.create("bob-" + suffix, "submitter");
  }

  /** {@code n} paragraphs of a few hundred bytes each, different for each {@code seed}. */
  private static String paragraphs(int n, String seed) {
    return IntStream.range(0, n)
        .mapToObj(i -> seed + " paragraph " + i + ": " + "Grüße, ça va? ".repeat(20))
        .collect(Collectors.joining("\n\n"));
  }

  /** {@code key}'s upload of {@code text} as the dataset {@code name}. */
  static Response upload(String key, String name, byte[] text) {
    return given()
        .header(TestKeys.bearer(key))
        .contentType("text/plain; charset=utf-8")
        .queryParam("name", name)
        .body(text)
        .post("/api/v1/datasets");
  }

  static Response upload(String key, String name, String text) {
    return upload(key, name, text.getBytes(StandardCharsets.UTF_8));
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private static void assertProblem(Response r, int status, String field, String message) {
    r.then()
        .statusCode(status)
        .contentType(containsString(PROBLEM))
        .body("errors.field", hasItem(field))
        .body("detail", containsString(message));
  }

  @Test
  void anUploadIsStoredOnceUnderItsSha256AndSplitAsAWorkerSplitsIt() throws Exception {
    String text = paragraphs(120, UUID.randomUUID().toString());
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    Response made = upload(alice, "news", text);
    made.then().statusCode(201).contentType(ContentType.JSON);
    String id = made.path("id");
    assertEquals("/api/v1/datasets/" + id, java.net.URI.create(made.header("Location")).getPath());
    String sha = sha256(bytes);
    assertEquals(sha, made.path("sha256"));
    assertEquals(bytes.length, made.<Integer>path("bytes"));
    assertEquals(120, made.<Integer>path("documents"));
    // the gateway's counts are CorpusText's, the rule the workers split by
    CorpusText.Sizes sizes = new CorpusText.Sizes();
    CorpusText.paragraphs(new java.io.StringReader(text), sizes);
    assertEquals(
        sizes.tokens(CorpusText.Split.TRAIN), made.<Number>path("trainTokens").longValue());
    assertEquals(
        sizes.tokens(CorpusText.Split.VALIDATION),
        made.<Number>path("validationTokens").longValue());
    assertEquals(sizes.tokens(CorpusText.Split.TEST), made.<Number>path("testTokens").longValue());
    assertArrayEquals(bytes, Files.readAllBytes(STORE.resolve(sha + ".txt")), "stored as sent");

    // the same text under the same name is the same dataset; other text under it is a conflict
    Response again = upload(alice, "news", text);
    again.then().statusCode(200).body("id", equalTo(id));
    upload(alice, "news", paragraphs(120, "other"))
        .then()
        .statusCode(409)
        .contentType(containsString(PROBLEM))
        .body("detail", containsString(id));
    // another owner may use the name; the text is stored once
    String bobs = upload(bob, "news", text).then().statusCode(201).extract().path("id");
    assertTrue(!bobs.equals(id));
    try (Stream<Path> files = Files.list(STORE)) {
      assertEquals(1, files.filter(f -> f.getFileName().toString().startsWith(sha)).count());
    }

    // owners see their own; another's is unknown
    given()
        .header(TestKeys.bearer(alice))
        .get("/api/v1/datasets/" + id)
        .then()
        .statusCode(200)
        .body("name", equalTo("news"));
    given()
        .header(TestKeys.bearer(bob))
        .get("/api/v1/datasets/" + id)
        .then()
        .statusCode(404)
        .contentType(containsString(PROBLEM));
    given()
        .header(TestKeys.bearer(alice))
        .get("/api/v1/datasets")
        .then()
        .statusCode(200)
        .body("id", hasItem(id))
        .body("id", not(hasItem(bobs)));
    given()
        .header(TestKeys.bearer(TestKeys.admin()))
        .get("/api/v1/datasets?limit=100")
        .then()
        .statusCode(200)
        .body("id", hasItem(bobs));
  }

  @Test
  void textThatIsNotUsableIsRefusedAndLeavesNothingBehind() throws Exception {
    long before = incoming();
    byte[] latin1 = paragraphs(60, "x").getBytes(StandardCharsets.ISO_8859_1);
    assertProblem(upload(alice, "latin1", latin1), 400, "body", "UTF-8");
    assertProblem(upload(alice, "nul", paragraphs(60, "a\u0000b")), 400, "body", "NUL");
    assertProblem(upload(alice, "micro", "one line\ntwo lines"), 400, "body", "too little text");
    assertProblem(upload(alice, "empty", ""), 400, "body", "too little text");
    assertProblem(upload(alice, "", paragraphs(60, "y")), 400, "name", "name");
    assertProblem(upload(alice, "../../etc/passwd", paragraphs(60, "y")), 400, "name", "name");
    given()
        .header(TestKeys.bearer(alice))
        .contentType(ContentType.JSON)
        .body("{\"text\":\"x\"}")
        .post("/api/v1/datasets?name=json")
        .then()
        .statusCode(415)
        .contentType(containsString(PROBLEM));
    assertEquals(before, incoming(), "no temporary file is left");
  }

  @Test
  void uploadsAndJsonBodiesHaveTheirOwnSizeLimits() throws Exception {
    byte[] large = paragraphs(8_000, "z").getBytes(StandardCharsets.UTF_8); // > 2 MB
    assertTrue(large.length > 2 * 1024 * 1024, "" + large.length);
    upload(alice, "large", large)
        .then()
        .statusCode(413)
        .contentType(containsString(PROBLEM))
        .body("detail", containsString("2097152"));
    // sent in chunks, without a length: counted as it arrives
    given()
        .header(TestKeys.bearer(alice))
        .contentType("text/plain")
        .queryParam("name", "chunked")
        .body((InputStream) new ByteArrayInputStream(large))
        .post("/api/v1/datasets")
        .then()
        .statusCode(413);
    // under the upload limit, over the JSON limit (1 MB): a JSON request is refused, an upload not
    byte[] medium =
        paragraphs(3_000, UUID.randomUUID().toString()).getBytes(StandardCharsets.UTF_8);
    assertTrue(medium.length > 1024 * 1024 && medium.length < 2 * 1024 * 1024, "" + medium.length);
    given()
        .header(TestKeys.bearer(alice))
        .contentType(ContentType.JSON)
        .body("{\"type\":\"train\",\"name\":\"" + "n".repeat(medium.length) + "\"}")
        .post("/api/v1/runs")
        .then()
        .statusCode(413)
        .contentType(containsString(PROBLEM));
    upload(alice, "medium", medium).then().statusCode(201);
  }

  /**
   * A client that sends its whole body before it reads (java.net.http does, without Expect:
   * 100-continue) still gets the answer when the gateway refuses the body before reading it all: by
   * its length, by its name, or part-way through (sent without a length).
   */
  @Test
  void aBodyRefusedBeforeItIsReadStillGetsItsAnswer() throws Exception {
    byte[] large = paragraphs(20_000, "w").getBytes(StandardCharsets.UTF_8); // ~7 MB
    byte[] medium = paragraphs(4_000, "v").getBytes(StandardCharsets.UTF_8); // ~1.4 MB
    URI uri = URI.create(RestAssured.baseURI + ":" + RestAssured.port + "/api/v1/datasets");
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    record Case(String query, HttpRequest.BodyPublisher body, int status) {}
    List<Case> cases =
        List.of(
            new Case("?name=big", HttpRequest.BodyPublishers.ofByteArray(large), 413),
            new Case("?name=..", HttpRequest.BodyPublishers.ofByteArray(medium), 400),
            new Case(
                "?name=chunked",
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(large)),
                413));
    for (int round = 0; round < 20; round++) {
      for (Case c : cases) {
        HttpResponse<String> answer;
        try {
          answer =
              http.send(
                  HttpRequest.newBuilder(URI.create(uri + c.query()))
                      .header("Authorization", "Bearer " + alice)
                      .header("Content-Type", "text/plain")
                      .POST(c.body())
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
          throw new AssertionError("round " + round + " " + c.query(), e);
        }
        assertEquals(c.status(), answer.statusCode(), c.query() + ": " + answer.body());
        assertTrue(answer.body().contains("\"status\":" + c.status()), answer.body());
      }
    }
  }

  @Test
  void aTrainingJobNamesADatasetItMayReadThatHoldsAWindowInEverySplit() throws Exception {
    String text = paragraphs(100, UUID.randomUUID().toString());
    String id = upload(alice, "small", text).then().statusCode(201).extract().path("id");
    String sha = sha256(text.getBytes(StandardCharsets.UTF_8));
    long validation =
        given()
            .header(TestKeys.bearer(alice))
            .get("/api/v1/datasets/" + id)
            .then()
            .extract()
            .<Number>path("validationTokens")
            .longValue();

    Response run = train(alice, "\"corpus\":\"" + id + "\"");
    run.then().statusCode(201);
    String runId = run.path("id");
    given()
        .header(TestKeys.bearer(alice))
        .get("/api/v1/runs/" + runId)
        .then()
        .statusCode(200)
        .body("spec.corpus", equalTo(id))
        .body("spec.corpusSha256", equalTo(sha));

    // another's dataset, or none: 404 on the field
    assertProblem(train(bob, "\"corpus\":\"" + id + "\""), 404, "spec.corpus", id);
    String none = UUID.randomUUID().toString();
    assertProblem(train(alice, "\"corpus\":\"" + none + "\""), 404, "spec.corpus", none);
    // a path is not a corpus
    assertProblem(train(alice, "\"corpus\":\"/etc/passwd\""), 400, "spec.corpus", "dataset");
    // a pin that is not this text
    assertProblem(
        train(alice, "\"corpus\":\"" + id + "\",\"corpusSha256\":\"" + "0".repeat(64) + "\""),
        400,
        "spec.corpusSha256",
        sha);
    train(alice, "\"corpus\":\"" + id + "\",\"corpusSha256\":\"" + sha + "\"")
        .then()
        .statusCode(201);
    // a context longer than the validation split: the workers could not cut one window
    int context = (int) Math.min(8192, Long.highestOneBit(validation) * 2);
    assertTrue(context > validation, context + " > " + validation);
    assertProblem(
        train(
            alice,
            "\"corpus\":\"" + id + "\",\"contextLength\":" + context + ",\"blockSize\":" + context),
        400,
        "spec.corpus",
        "validation split");
  }

  /**
   * A dataset goes only when no training run names it, by its owner or an admin; its text goes with
   * the last record that names it.
   */
  @Test
  void aDatasetNoRunNamesIsDeletedAndItsTextWithTheLastRecord() throws Exception {
    String text = paragraphs(60, UUID.randomUUID().toString());
    String sha = sha256(text.getBytes(StandardCharsets.UTF_8));
    Path file = STORE.resolve(sha + ".txt");
    String alices = upload(alice, "shared", text).then().statusCode(201).extract().path("id");
    String bobs = upload(bob, "shared", text).then().statusCode(201).extract().path("id");
    String reader =
        TestKeys.create("reader-" + UUID.randomUUID().toString().substring(0, 8), "reader");

    delete(bob, alices).then().statusCode(404).contentType(containsString(PROBLEM));
    delete(reader, alices).then().statusCode(403).contentType(containsString(PROBLEM));
    delete(alice, alices).then().statusCode(200).body("id", equalTo(alices));
    given().header(TestKeys.bearer(alice)).get("/api/v1/datasets/" + alices).then().statusCode(404);
    assertTrue(Files.exists(file), "bob's record still names the text");
    delete(TestKeys.admin(), bobs).then().statusCode(200);
    // removed once the deletion has committed
    await().atMost(WAIT).until(() -> !Files.exists(file));

    // named by a training run: it stays
    String used =
        upload(alice, "used", paragraphs(60, UUID.randomUUID().toString()))
            .then()
            .statusCode(201)
            .extract()
            .path("id");
    String run =
        train(alice, "\"corpus\":\"" + used + "\"").then().statusCode(201).extract().path("id");
    delete(alice, used)
        .then()
        .statusCode(409)
        .contentType(containsString(PROBLEM))
        .body("detail", containsString(run));
    given().header(TestKeys.bearer(alice)).get("/api/v1/datasets/" + used).then().statusCode(200);
  }

  /** A deletion that rolls back leaves the record and its text: the text goes after the commit. */
  @Test
  void aDeletionRolledBackLeavesTheRecordAndItsText() throws Exception {
    String text = paragraphs(60, UUID.randomUUID().toString());
    Path file = STORE.resolve(sha256(text.getBytes(StandardCharsets.UTF_8)) + ".txt");
    String id = upload(alice, "rolled-back", text).then().statusCode(201).extract().path("id");

    AtomicBoolean keptBeforeCommit = new AtomicBoolean();
    ManagedContext request = Arc.container().requestContext();
    boolean wasActive = request.isActive();
    if (!wasActive) {
      request.activate();
    }
    try {
      // the deletion as an admin's request makes it, in a transaction that then fails
      identity.setIdentity(
          QuarkusSecurityIdentity.builder()
              .setPrincipal(new QuarkusPrincipal("admin"))
              .addRole(Role.ADMIN_NAME)
              .build());
      assertThrows(
          RolledBack.class,
          () ->
              QuarkusTransaction.requiringNew()
                  .run(
                      () -> {
                        datasets.delete(id);
                        keptBeforeCommit.set(Files.exists(file));
                        throw new RolledBack();
                      }));
    } finally {
      if (!wasActive) {
        request.terminate();
      }
    }
    assertTrue(keptBeforeCommit.get(), "the text is there until the deletion commits");
    assertTrue(Files.exists(file), "a deletion rolled back leaves the text");
    given().header(TestKeys.bearer(alice)).get("/api/v1/datasets/" + id).then().statusCode(200);

    delete(alice, id).then().statusCode(200);
    await().atMost(WAIT).until(() -> !Files.exists(file));
  }

  /** Thrown to roll a transaction back. */
  private static final class RolledBack extends RuntimeException {}

  private static Response delete(String key, String id) {
    return given().header(TestKeys.bearer(key)).delete("/api/v1/datasets/" + id);
  }

  private static Response train(String key, String fields) {
    return given()
        .header(TestKeys.bearer(key))
        .contentType(ContentType.JSON)
        .body("{\"type\":\"train\",\"spec\":{\"steps\":1," + fields + "}}")
        .post("/api/v1/runs");
  }

  private static long incoming() throws Exception {
    if (!Files.isDirectory(STORE)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(STORE)) {
      return files.filter(f -> f.getFileName().toString().startsWith(".incoming")).count();
    }
  }
}
