package dev.bd3.gateway;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bd3.gateway.runs.Run;
import dev.bd3.jobs.JobEvent;
import dev.bd3.jobs.Json;
import dev.bd3.jobs.RunStatus;
import dev.bd3.testsupport.LocalStack;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The OpenAI-compatible completions API, its sample runs driven by events as a sampler would send
 * them: the answer's choices in prompt order, cut at stop sequences, its usage; streamed, one chunk
 * per block and never a part of a stop sequence; errors in OpenAI's shape.
 */
@QuarkusTest
@QuarkusTestResource(LocalStack.class)
class CompletionsTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TestHTTPResource("/v1/completions")
  URI completions;

  private String model;
  private String name;

  @BeforeEach
  void aTrainedModel() {
    TestKeys.signInAsAdmin();
    await().atMost(WAIT).untilAsserted(() -> given().get("/q/health/well").then().statusCode(200));
    TestKafka.awaitEventConsumerAssigned();
    name = "cmpl-" + UUID.randomUUID();
    model = JobEventsTest.submit("{\"type\":\"train\",\"name\":\"" + name + "\"}");
    JobEventsTest.checkpoint(model, 10);
  }

  @Test
  void aCompletionIsOneServedSampleRunPerPromptAnsweredInPromptOrder() throws Exception {
    CompletableFuture<String> answer =
        CompletableFuture.supplyAsync(
            () ->
                given()
                    .contentType(ContentType.JSON)
                    .body(
                        "{\"model\":\""
                            + name
                            + "\",\"prompt\":[\"Hello\",\"Bye\"],\"n\":2,\"max_tokens\":8,"
                            + "\"stop\":\"\\n\\n\",\"temperature\":0.5,\"user\":\"ignored\"}")
                    .post("/v1/completions")
                    .then()
                    .statusCode(200)
                    .extract()
                    .asString());
    List<Run> runs = servedRuns(2);
    for (Run run : runs) {
      JsonNode spec = Json.mapper().readTree(run.spec);
      assertEquals(2, spec.get("numSamples").asInt());
      assertEquals(8, spec.get("maxTokens").asInt());
      assertEquals(0.5, spec.get("temperature").asDouble());
      boolean hello = spec.get("prompt").asText().equals("Hello");
      String id = run.id.toString();
      TestKafka.send(
          List.of(
              event(id, new JobEvent.Status(RunStatus.RUNNING, null)),
              event(id, new JobEvent.Metric("prompt_tokens", 0, hello ? 5 : 3)),
              event(
                  id,
                  new JobEvent.Sample(0, hello ? " world\n\nmore" : " now", 8, 6, "max-length", 1)),
              event(id, new JobEvent.Sample(1, hello ? " there" : " later", 4, 3, "eos", 1)),
              event(id, new JobEvent.Status(RunStatus.SUCCEEDED, null))));
    }
    JsonNode body = Json.mapper().readTree(answer.get(30, TimeUnit.SECONDS));
    assertEquals("text_completion", body.get("object").asText());
    assertEquals(name, body.get("model").asText());
    List<String> texts = new ArrayList<>();
    List<String> reasons = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      JsonNode choice = body.get("choices").get(i);
      assertEquals(i, choice.get("index").asInt());
      texts.add(choice.get("text").asText());
      reasons.add(choice.get("finish_reason").asText());
    }
    assertEquals(List.of(" world", " there", " now", " later"), texts, "prompt order, cut at stop");
    assertEquals(List.of("stop", "stop", "length", "stop"), reasons);
    JsonNode usage = body.get("usage");
    assertEquals(8, usage.get("prompt_tokens").asInt());
    assertEquals(24, usage.get("completion_tokens").asInt());
    assertEquals(32, usage.get("total_tokens").asInt());
    assertEquals(18, usage.get("model_calls").asInt());
    assertEquals(2, body.get("runs").size());
    given()
        .get("/api/v1/runs/" + runs.get(0).id)
        .then()
        .body("served", equalTo(true))
        .body("type", equalTo("sample"));
  }

  @Test
  void aStreamSendsEachBlockAndHoldsBackWhatMayBeginAStopSequence() throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(completions)
            .header("Authorization", "Bearer " + TestKeys.admin())
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"model\":\""
                        + model
                        + "\",\"prompt\":\"Hi\",\"stream\":true,\"stop\":[\"\\n\\n\"]}"))
            .timeout(WAIT)
            .build();
    CompletableFuture<HttpResponse<Stream<String>>> response =
        HttpClient.newHttpClient().sendAsync(request, HttpResponse.BodyHandlers.ofLines());
    String id = servedRuns(1).get(0).id.toString();
    TestKafka.send(
        List.of(
            event(id, new JobEvent.Status(RunStatus.RUNNING, null)),
            event(id, new JobEvent.Block(0, 0, "Hel"))));
    HttpResponse<Stream<String>> streamed = response.get(30, TimeUnit.SECONDS);
    assertEquals(200, streamed.statusCode());
    assertTrue(
        streamed.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
    Iterator<String> lines = streamed.body().iterator();
    List<String> data = new ArrayList<>();
    // the first block arrives while the sample is still being made: sent as it came, not buffered
    CompletableFuture.runAsync(
            () -> {
              while (data.isEmpty()) {
                String line = lines.next();
                if (line.startsWith("data: ")) {
                  data.add(line.substring(6));
                }
              }
            })
        .get(30, TimeUnit.SECONDS);
    assertTrue(data.get(0).contains("\"text\":\"Hel\""), data.get(0));
    TestKafka.send(
        List.of(
            event(id, new JobEvent.Block(0, 1, "lo\n")),
            event(id, new JobEvent.Block(0, 2, "\nrest")),
            event(id, new JobEvent.Sample(0, "Hello\n\nrest", 12, 5, "max-length", 1)),
            event(id, new JobEvent.Status(RunStatus.SUCCEEDED, null))));
    while (lines.hasNext()) {
      String line = lines.next();
      if (line.startsWith("data: ")) {
        data.add(line.substring(6));
      }
    }
    assertEquals("[DONE]", data.get(data.size() - 1));
    List<String> texts = new ArrayList<>();
    List<String> reasons = new ArrayList<>();
    for (String chunk : data.subList(0, data.size() - 2)) {
      JsonNode choice = Json.mapper().readTree(chunk).get("choices").get(0);
      texts.add(choice.get("text").asText());
      reasons.add(
          choice.get("finish_reason").isNull() ? null : choice.get("finish_reason").asText());
    }
    assertEquals(List.of("Hel", "lo", ""), texts, "the lone newline held back, then cut");
    assertEquals(java.util.Arrays.asList(null, null, "stop"), reasons);
    JsonNode last = Json.mapper().readTree(data.get(data.size() - 2));
    assertEquals(12, last.get("usage").get("completion_tokens").asInt());
  }

  @Test
  void errorsComeInOpenAisShape() {
    post("{\"model\":\"no-such-model\",\"prompt\":\"x\"}")
        .then()
        .statusCode(404)
        .contentType(ContentType.JSON)
        .body("error.type", equalTo("not_found_error"))
        .body("error.param", equalTo("model"));
    post("{\"model\":\"" + model + "\",\"prompt\":\"x\",\"n\":100}")
        .then()
        .statusCode(400)
        .body("error.type", equalTo("invalid_request_error"))
        .body("error.param", equalTo("n"));
    post("{\"model\":\"" + model + "\",\"prompt\":[1,2]}")
        .then()
        .statusCode(400)
        .body("error.param", equalTo("prompt"));
    post("{\"model\":\"" + model + "\",\"prompt\":\"x\",\"echo\":true}")
        .then()
        .statusCode(400)
        .body("error.param", equalTo("echo"));
    given()
        .contentType(ContentType.JSON)
        .body("{\"model\":\"" + model + "\",\"messages\":[]}")
        .post("/v1/chat/completions")
        .then()
        .statusCode(400)
        .body("error.message", containsString("chat template"));

    String reader = TestKeys.create("cmpl-reader-" + UUID.randomUUID(), "reader");
    TestKeys.signOut(); // each request below names its own key
    given()
        .header("Authorization", "Bearer not-a-key")
        .contentType(ContentType.JSON)
        .body("{}")
        .post("/v1/completions")
        .then()
        .statusCode(401)
        .body("error.type", equalTo("authentication_error"));
    given()
        .header("Authorization", "Bearer " + reader)
        .contentType(ContentType.JSON)
        .body("{\"model\":\"" + model + "\"}")
        .post("/v1/completions")
        .then()
        .statusCode(403)
        .body("error.type", equalTo("permission_error"));
    given()
        .header("Authorization", "Bearer " + reader)
        .get("/v1/models")
        .then()
        .statusCode(200)
        .body("object", equalTo("list"))
        .body("data.id", hasItem(model));
  }

  @Test
  void aRunThatFailsIsAnErrorOfTheServer() throws Exception {
    CompletableFuture<io.restassured.response.Response> answer =
        CompletableFuture.supplyAsync(() -> post("{\"model\":\"" + model + "\",\"prompt\":\"x\"}"));
    String id = servedRuns(1).get(0).id.toString();
    TestKafka.send(List.of(event(id, new JobEvent.Status(RunStatus.FAILED, "out of memory"))));
    answer
        .get(30, TimeUnit.SECONDS)
        .then()
        .statusCode(500)
        .body("error.type", equalTo("server_error"))
        .body("error.message", containsString("out of memory"));
  }

  private static io.restassured.response.Response post(String body) {
    return given().contentType(ContentType.JSON).body(body).post("/v1/completions");
  }

  /** The served runs of this test's model, once {@code count} exist. */
  private List<Run> servedRuns(int count) {
    UUID parent = UUID.fromString(model);
    List<Run> runs = new ArrayList<>();
    await()
        .atMost(WAIT)
        .until(
            () -> {
              runs.clear();
              runs.addAll(
                  QuarkusTransaction.requiringNew()
                      .call(() -> Run.<Run>list("served = true and parentRunId = ?1", parent)));
              return runs.size() == count;
            });
    return runs;
  }

  private static JobEvent event(String run, JobEvent.Payload payload) {
    return TestKafka.event(run, "w", Instant.now(), payload);
  }
}
