package dev.bd3.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.testsupport.LocalStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Quotas per principal: open runs, jobs per hour, sampled tokens per hour, bytes of datasets;
 * admins are not held.
 */
@QuarkusTest
@QuarkusTestResource(LocalStack.class)
@TestProfile(QuotaTest.SmallQuotas.class)
class QuotaTest {

  /** Two open runs, three jobs an hour, a thousand sampled tokens an hour, 20 KiB of datasets. */
  public static class SmallQuotas implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "bd3.gateway.quotas.concurrent-jobs", "2",
          "bd3.gateway.quotas.jobs-per-hour", "3",
          "bd3.gateway.quotas.sampled-tokens-per-hour", "1000",
          "bd3.gateway.quotas.dataset-bytes", "20K");
    }
  }

  @BeforeEach
  void signOut() {
    TestKeys.signOut();
  }

  private static Response submit(String key, String body) {
    return given()
        .header(TestKeys.bearer(key))
        .contentType(ContentType.JSON)
        .body(body)
        .post("/api/v1/runs");
  }

  private static String train(String key) {
    return submit(key, "{\"type\":\"train\",\"spec\":{\"steps\":1}}")
        .then()
        .statusCode(201)
        .extract()
        .path("id");
  }

  private static void cancel(String key, String id) {
    given()
        .header(TestKeys.bearer(key))
        .post("/api/v1/runs/" + id + "/cancel")
        .then()
        .statusCode(202);
  }

  private static long retryAfter(Response refused) {
    refused.then().statusCode(429).contentType(AuthTest.PROBLEM).body("status", equalTo(429));
    return Long.parseLong(refused.header("Retry-After"));
  }

  @Test
  void openRunsThenJobsPerHour() {
    String key =
        TestKeys.create("quota-" + UUID.randomUUID().toString().substring(0, 8), "submitter");
    String first = train(key);
    train(key);
    Response third = submit(key, "{\"type\":\"train\"}");
    long wait = retryAfter(third);
    third.then().body("detail", containsString("2 runs are queued or running"));
    assertTrue(wait >= 1 && wait <= 60, "Retry-After " + wait);

    cancel(key, first); // a slot frees up: the third job of the hour passes
    String thirdRun = train(key);
    cancel(key, thirdRun);
    Response fourth = submit(key, "{\"type\":\"train\"}");
    long hourly = retryAfter(fourth);
    fourth.then().body("detail", containsString("3 jobs in the last hour"));
    assertTrue(hourly > 3000 && hourly <= 3600, "until the first job leaves the hour: " + hourly);

    // the admin is not held to the quotas
    for (int i = 0; i < 4; i++) {
      train(TestKeys.admin());
    }
  }

  @Test
  void sampledTokensPerHour() {
    String key =
        TestKeys.create("tokens-" + UUID.randomUUID().toString().substring(0, 8), "submitter");
    TestKafka.awaitEventConsumerAssigned();
    String model = train(key);
    JobEventsTest.checkpoint(model, 1);
    cancel(key, model);
    String sample = "{\"type\":\"sample\",\"spec\":{\"trainRunId\":\"" + model + "\",%s}}";

    submit(key, sample.formatted("\"numSamples\":1,\"maxTokens\":600")).then().statusCode(201);
    Response over = submit(key, sample.formatted("\"numSamples\":1,\"maxTokens\":600"));
    long wait = retryAfter(over);
    over.then().body("detail", containsString("600 tokens sampled in the last hour and 600 asked"));
    assertTrue(wait > 3000 && wait <= 3600, "Retry-After " + wait);
    // more than an hour's worth in one job can never pass: not a matter of waiting
    submit(key, sample.formatted("\"numSamples\":2,\"maxTokens\":600"))
        .then()
        .statusCode(422)
        .body("errors[0].field", equalTo("spec"));
  }

  @Test
  void datasetsHoldAtMostTheirQuota() {
    String key =
        TestKeys.create("quota-" + UUID.randomUUID().toString().substring(0, 8), "submitter");
    String text = ("A paragraph of text for the quota.\n\n").repeat(320); // 11.5 KB, 320 paragraphs
    DatasetTest.upload(key, "first", text).then().statusCode(201);
    Response second =
        DatasetTest.upload(key, "second", text); // refused by its length, before it is read
    second
        .then()
        .statusCode(422)
        .contentType(AuthTest.PROBLEM)
        .body("detail", containsString("BD3_GATEWAY_QUOTAS_DATASET_BYTES"));
    // the same without a length: refused once it has been read, and nothing is kept
    given()
        .header(TestKeys.bearer(key))
        .contentType("text/plain")
        .queryParam("name", "third")
        .body((java.io.InputStream) new java.io.ByteArrayInputStream(text.getBytes()))
        .post("/api/v1/datasets")
        .then()
        .statusCode(422);
    given().header(TestKeys.bearer(key)).get("/api/v1/datasets").then().body("size()", equalTo(1));
    DatasetTest.upload(TestKeys.admin(), "admin-" + UUID.randomUUID(), text + "x")
        .then()
        .statusCode(201);
  }
}
