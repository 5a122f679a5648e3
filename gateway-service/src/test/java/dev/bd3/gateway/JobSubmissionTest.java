package dev.bd3.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bd3.gateway.runs.Run;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.Json;
import dev.bd3.jobs.RunStatus;
import dev.bd3.jobs.TrainSpec;
import dev.bd3.testsupport.LocalStack;
import dev.bd3.testsupport.SpecBoundaries;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** POST /api/v1/runs: validation, storage, idempotency and publication through the outbox. */
@QuarkusTest
@QuarkusTestResource(LocalStack.class)
class JobSubmissionTest {
  static final String PROBLEM = "application/problem+json";

  @BeforeEach
  void signIn() {
    TestKeys.signInAsAdmin();
  }

  @Test
  void trainJobIsStoredQueuedAndPublishedKeyedByRunId() throws Exception {
    Map<TopicPartition, Long> mark = TestKafka.mark(TestKafka.TOPICS.jobs(JobType.TRAIN));
    String name = "train-" + UUID.randomUUID();

    String id =
        given()
            .contentType(ContentType.JSON)
            .body(
                "{\"type\":\"train\",\"name\":\""
                    + name
                    + "\",\"spec\":{\"preset\":\"micro\",\"steps\":10}}")
            .when()
            .post("/api/v1/runs")
            .then()
            .statusCode(201)
            .body("type", equalTo("train"))
            .body("status", equalTo("QUEUED"))
            .body("name", equalTo(name))
            .body("spec.steps", equalTo(10))
            .body("attempt", equalTo(0))
            .extract()
            .path("id");

    Run stored = QuarkusTransaction.requiringNew().call(() -> Run.findById(UUID.fromString(id)));
    assertEquals(RunStatus.QUEUED, stored.status);
    assertEquals(name, stored.name);

    ConsumerRecord<String, String> record = TestKafka.awaitKey(mark, id);
    JsonNode request = Json.mapper().readTree(record.value());
    assertEquals(id, request.get("runId").asText());
    assertEquals("train", request.get("type").asText());
    assertEquals(10, request.get("spec").get("steps").asInt());
    assertEquals("micro", request.get("spec").get("preset").asText());
    assertNotNull(request.get("submittedAt"));
  }

  /** The former path still submits, reads and cancels, each answer marked deprecated. */
  @Test
  void theFormerJobsPathIsADeprecatedAliasOfRuns() {
    String id =
        given()
            .contentType(ContentType.JSON)
            .body("{\"type\":\"train\",\"spec\":{\"preset\":\"micro\",\"steps\":10}}")
            .when()
            .post("/api/v1/jobs")
            .then()
            .statusCode(201)
            .header("Location", containsString("/api/v1/runs/"))
            .header("Deprecation", equalTo("@1796342400"))
            .header("Link", equalTo("</api/v1/runs>; rel=\"successor-version\""))
            .extract()
            .path("id");
    given()
        .get("/api/v1/jobs/" + id)
        .then()
        .statusCode(200)
        .header("Link", equalTo("</api/v1/runs/" + id + ">; rel=\"successor-version\""))
        .body("id", equalTo(id))
        .body("type", equalTo("train"));
    given()
        .post("/api/v1/jobs/" + id + "/cancel")
        .then()
        .statusCode(202)
        .header("Deprecation", notNullValue());
    given().get("/api/v1/runs/" + id).then().body("status", equalTo("CANCELLED"));
  }

  /** Pages of the run list follow each other: no run twice, none left out, newest first. */
  @Test
  void runListPagesAreConsecutive() {
    for (int i = 0; i < 5; i++) {
      given()
          .contentType(ContentType.JSON)
          .body("{\"type\":\"train\",\"spec\":{\"steps\":1}}")
          .post("/api/v1/runs")
          .then()
          .statusCode(201);
    }
    List<String> all =
        given().get("/api/v1/runs?type=train&limit=6").then().statusCode(200).extract().path("id");
    List<String> first = given().get("/api/v1/runs?type=train&limit=3").then().extract().path("id");
    List<String> second =
        given().get("/api/v1/runs?type=train&limit=3&offset=3").then().extract().path("id");
    List<String> paged = new java.util.ArrayList<>(first);
    paged.addAll(second);
    assertEquals(all, paged);
    given()
        .get("/api/v1/runs?offset=-1")
        .then()
        .statusCode(400)
        .body("errors[0].field", equalTo("offset"));
  }

  @Test
  void locationNamesTheNewRun() {
    var response =
        given()
            .contentType(ContentType.JSON)
            .body("{\"type\":\"train\"}")
            .when()
            .post("/api/v1/runs")
            .then()
            .statusCode(201)
            .body("spec", notNullValue())
            .extract();
    String id = response.path("id");
    assertEquals(true, response.header("Location").endsWith("/api/v1/runs/" + id));
    given().when().get(response.header("Location")).then().statusCode(200).body("id", equalTo(id));
  }

  /** PostgreSQL stores no NUL: one anywhere in the input is a 400 naming where, not a 500. */
  @Test
  void aNulCharacterIsRefusedWhereverItIs() {
    given()
        .contentType(ContentType.JSON)
        .body("{\"type\":\"train\",\"name\":\"a\\u0000b\"}")
        .post("/api/v1/runs")
        .then()
        .statusCode(400)
        .contentType(PROBLEM)
        .body("errors[0].field", equalTo("name"));
    given()
        .contentType(ContentType.JSON)
        .body("{\"type\":\"sample\",\"spec\":{\"trainRunId\":\"x\",\"prompt\":\"\\u0000\"}}")
        .post("/api/v1/runs")
        .then()
        .statusCode(400)
        .body("errors[0].field", equalTo("spec.prompt"));
    String run = JobEventsTest.submitTrain();
    given()
        .urlEncodingEnabled(false)
        .get("/api/v1/runs/" + run + "/metrics?name=%00")
        .then()
        .statusCode(400)
        .contentType(PROBLEM)
        .body("errors[0].field", equalTo("name"));
  }

  @Test
  void aRepeatedIdempotencyKeyReturnsTheFirstRun() {
    String key = "key-" + UUID.randomUUID();
    String body = "{\"type\":\"train\",\"spec\":{\"steps\":5}}";
    String first =
        given()
            .contentType(ContentType.JSON)
            .header("Idempotency-Key", key)
            .body(body)
            .when()
            .post("/api/v1/runs")
            .then()
            .statusCode(201)
            .extract()
            .path("id");
    given()
        .contentType(ContentType.JSON)
        .header("Idempotency-Key", key)
        .body(body)
        .when()
        .post("/api/v1/runs")
        .then()
        .statusCode(200)
        .body("id", equalTo(first));
    long runs = QuarkusTransaction.requiringNew().call(() -> Run.count("idempotencyKey", key));
    assertEquals(1, runs);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"type\":\"predict\"}                                   | type",
        "{\"type\":\"train\",\"spec\":{\"stepz\":5}}              | spec.stepz",
        "{\"type\":\"train\",\"spec\":{\"steps\":0}}              | spec.steps",
        "{\"type\":\"train\",\"spec\":{\"steps\":\"many\"}}       | spec.steps",
        "{\"type\":\"train\",\"spec\":{\"preset\":\"huge\"}}      | spec.preset",
        "{\"type\":\"train\",\"spec\":{\"blockSize\":3}}          | spec.blockSize",
        "{\"type\":\"train\",\"spec\":{\"width\":100,\"heads\":3}} | spec.heads",
        "{\"type\":\"train\",\"spec\":{\"causal\":true}}          | spec.causal",
        "{\"type\":\"train\",\"spec\":{\"causal\":true,\"blockSize\":1,\"condDim\":8}} | spec.condDim",
        "{\"type\":\"train\",\"spce\":{}}                         | spce",
        "{\"type\":\"sample\",\"spec\":{\"numSamples\":2}}        | spec.trainRunId",
        "{\"type\":\"eval\",\"spec\":{\"checkpoint\":\"file:///c\",\"trainRunId\":\"x\"}} | spec.checkpoint",
        "{\"type\": \"train\", \"spec\": {                        | body",
      })
  void badRequestsNameTheField(String body, String field) {
    given()
        .contentType(ContentType.JSON)
        .body(body)
        .when()
        .post("/api/v1/runs")
        .then()
        .statusCode(400)
        .contentType(PROBLEM)
        .body("status", equalTo(400))
        .body("title", notNullValue())
        .body("type", notNullValue())
        .body("instance", equalTo("/api/v1/runs"))
        .body("errors.field", hasItem(field));
  }

  /** Every boundary of every rule gets the contract's verdict (the workers' test checks theirs). */
  @Test
  void theApiReachesTheContractsVerdictOnEveryBoundary() {
    String train = JobEventsTest.submit("{\"type\":\"train\",\"spec\":{\"preset\":\"micro\"}}");
    JobEventsTest.checkpoint(train, 10);
    for (SpecBoundaries.Case c : SpecBoundaries.all()) {
      var response =
          given()
              .contentType(ContentType.JSON)
              .body("{\"type\":\"" + c.type().json() + "\",\"spec\":" + c.spec(train) + "}")
              .when()
              .post("/api/v1/runs")
              .then();
      if (c.accepted()) {
        response.statusCode(201);
      } else {
        response
            .statusCode(400)
            .contentType(PROBLEM)
            .body("errors.field", hasItem("spec." + c.rejected()));
      }
    }
  }

  /** The stored and published spec is the one that runs: every default filled in. */
  @Test
  void theRunShowsItsEffectiveSpec() throws Exception {
    String train = JobEventsTest.submit("{\"type\":\"train\",\"spec\":{\"steps\":100}}");
    TrainSpec effective =
        new TrainSpec(
                null, null, null, null, null, null, null, null, null, null, 100, null, null, null,
                null, null, null, null, null, null, null, null, null, null, null)
            .resolved();
    JsonNode spec =
        Json.mapper()
            .readTree(given().when().get("/api/v1/runs/" + train).then().extract().asString())
            .get("spec");
    assertEquals(effective, Json.mapper().treeToValue(spec, TrainSpec.class));
    assertEquals(
        effective.getClass().getRecordComponents().length - 2,
        spec.size(),
        "all but initFrom and corpusSha256 (none for the bundled corpus)");
    assertEquals("cpu", spec.get("preset").asText());
    assertEquals(10, spec.get("warmupSteps").asInt(), "min(50, steps / 10)");

    // a sample's defaults follow the block size of the model it reads
    String ar = JobEventsTest.submit("{\"type\":\"train\",\"spec\":{\"blockSize\":16}}");
    JobEventsTest.checkpoint(ar, 5);
    given()
        .contentType(ContentType.JSON)
        .body("{\"type\":\"sample\",\"spec\":{\"trainRunId\":\"" + ar + "\"}}")
        .when()
        .post("/api/v1/runs")
        .then()
        .statusCode(201)
        .body("spec.steps", equalTo(16))
        .body("spec.tokensPerStep", equalTo(4))
        .body("spec.sampler", equalTo("ddpm"))
        .body("spec.maxTokens", equalTo(256));
  }

  /** A checkpoint named by URI must be one the gateway recorded, of a model with the same shape. */
  @Test
  void initFromNamesARecordedCheckpointOfTheSameShape() {
    String mdlm =
        JobEventsTest.submit(
            "{\"type\":\"train\",\"spec\":{\"preset\":\"micro\",\"blockSize\":32}}");
    String uri = JobEventsTest.checkpoint(mdlm, 20);
    given()
        .contentType(ContentType.JSON)
        .body("{\"type\":\"train\",\"spec\":{\"preset\":\"micro\",\"initFrom\":\"" + uri + "\"}}")
        .when()
        .post("/api/v1/runs")
        .then()
        .statusCode(201)
        .body("spec.initFrom", equalTo(uri));
    given()
        .contentType(ContentType.JSON)
        .body("{\"type\":\"train\",\"spec\":{\"initFrom\":\"" + uri + "\"}}")
        .when()
        .post("/api/v1/runs")
        .then()
        .statusCode(400)
        .contentType(PROBLEM)
        .body("errors.field", hasItem("spec.initFrom"));
    given()
        .contentType(ContentType.JSON)
        .body("{\"type\":\"train\",\"spec\":{\"initFrom\":\"file:///etc/shadow\"}}")
        .when()
        .post("/api/v1/runs")
        .then()
        .statusCode(404)
        .contentType(PROBLEM)
        .body("errors.field", hasItem("spec.initFrom"));
  }

  /** A valid job larger than what its worker pool can hold or should take on is refused: 422. */
  @Test
  void jobsOverThePoolsLimitsAre422NamingTheLimit() {
    given()
        .contentType(ContentType.JSON)
        .body("{\"type\":\"train\",\"spec\":{\"preset\":\"small\"}}")
        .when()
        .post("/api/v1/runs")
        .then()
        .statusCode(422)
        .contentType(PROBLEM)
        .body("detail", containsString("BD3_TRAIN_MEMORY"))
        .body("errors.field", hasItem("spec"));
    given()
        .contentType(ContentType.JSON)
        .body("{\"type\":\"train\",\"spec\":{\"steps\":10000000,\"batchSize\":128}}")
        .when()
        .post("/api/v1/runs")
        .then()
        .statusCode(422)
        .body("detail", containsString("BD3_TRAIN_WORK"));
    given()
        .contentType(ContentType.JSON)
        .body("{\"type\":\"train\",\"spec\":{\"preset\":\"small\",\"batchSize\":1,\"layers\":2}}")
        .when()
        .post("/api/v1/runs")
        .then()
        .statusCode(201);
  }

  /** Safe defaults: no Swagger UI unless asked for, no cross-origin access unless allowed. */
  @Test
  void swaggerUiAndCrossOriginAccessAreOffByDefault() {
    given().when().get("/q/swagger-ui").then().statusCode(404);
    given().when().get("/q/openapi").then().statusCode(200);
    var preflight =
        given()
            .header("Origin", "https://elsewhere.example")
            .header("Access-Control-Request-Method", "POST")
            .when()
            .options("/api/v1/runs")
            .then()
            .extract();
    assertEquals(null, preflight.header("Access-Control-Allow-Origin"), "no CORS grant");
  }

  @Test
  void unknownRunsAre404Problems() {
    for (String id : new String[] {UUID.randomUUID().toString(), "not-a-uuid"}) {
      given()
          .when()
          .get("/api/v1/runs/" + id)
          .then()
          .statusCode(404)
          .contentType(PROBLEM)
          .body("status", equalTo(404))
          .body("detail", containsString(id));
      given()
          .when()
          .post("/api/v1/runs/" + id + "/cancel")
          .then()
          .statusCode(404)
          .contentType(PROBLEM);
      given()
          .when()
          .get("/api/v1/runs/" + id + "/metrics")
          .then()
          .statusCode(404)
          .contentType(PROBLEM);
    }
  }

  @Test
  void evalOfAnUnknownRunIs404NamingTheField() {
    given()
        .contentType(ContentType.JSON)
        .body("{\"type\":\"eval\",\"spec\":{\"trainRunId\":\"" + UUID.randomUUID() + "\"}}")
        .when()
        .post("/api/v1/runs")
        .then()
        .statusCode(404)
        .contentType(PROBLEM)
        .body("errors.field", hasItem("spec.trainRunId"));
  }

  @Test
  void evalOfARunWithoutCheckpointsIs409() {
    String train = JobEventsTest.submit("{\"type\":\"train\"}");
    given()
        .contentType(ContentType.JSON)
        .body("{\"type\":\"eval\",\"spec\":{\"trainRunId\":\"" + train + "\"}}")
        .when()
        .post("/api/v1/runs")
        .then()
        .statusCode(409)
        .contentType(PROBLEM)
        .body("detail", containsString("no checkpoint"));
  }

  @Test
  void oversizedBodiesAre413Problems() {
    String big = "x".repeat(2 * 1024 * 1024);
    given()
        .contentType(ContentType.JSON)
        .body("{\"type\":\"train\",\"name\":\"" + big + "\"}")
        .when()
        .post("/api/v1/runs")
        .then()
        .statusCode(413)
        .contentType(PROBLEM)
        .body("status", equalTo(413));
  }

  @Test
  void otherMediaTypesAre415Problems() {
    given()
        .contentType(ContentType.TEXT)
        .body("type=train")
        .when()
        .post("/api/v1/runs")
        .then()
        .statusCode(415)
        .contentType(PROBLEM)
        .body("status", equalTo(415));
  }

  @Test
  void runsAreListedNewestFirstAndFiltered() {
    String name = "list-" + UUID.randomUUID();
    String older = JobEventsTest.submit("{\"type\":\"train\",\"name\":\"" + name + "\"}");
    String newer = JobEventsTest.submit("{\"type\":\"train\",\"name\":\"" + name + "\"}");
    given()
        .queryParam("type", "train")
        .queryParam("status", "queued")
        .queryParam("limit", 2)
        .when()
        .get("/api/v1/runs")
        .then()
        .statusCode(200)
        .body("size()", equalTo(2))
        .body("[0].id", equalTo(newer))
        .body("[1].id", equalTo(older))
        .body("[0].status", equalTo("QUEUED"));
    given()
        .queryParam("limit", 0)
        .when()
        .get("/api/v1/runs")
        .then()
        .statusCode(400)
        .contentType(PROBLEM)
        .body("errors.field", hasItem("limit"));
    given()
        .queryParam("status", "DONE")
        .when()
        .get("/api/v1/runs")
        .then()
        .statusCode(400)
        .contentType(PROBLEM)
        .body("errors.field", hasItem("status"));
  }
}
