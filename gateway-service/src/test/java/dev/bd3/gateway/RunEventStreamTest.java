package dev.bd3.gateway;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.jobs.JobEvent;
import dev.bd3.jobs.RunStatus;
import dev.bd3.testsupport.LocalStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
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

/** GET /api/v1/runs/{id}/events: the run view, then its events live, until it ends. */
@QuarkusTest
@QuarkusTestResource(LocalStack.class)
class RunEventStreamTest {

  @TestHTTPResource("/api/v1/runs/")
  URI jobs;

  /** A stream follows events from the moment the gateway reads the events topic: its readiness. */
  @BeforeEach
  void gatewayIsReady() {
    TestKeys.signInAsAdmin();
    await()
        .atMost(Duration.ofSeconds(30))
        // the live-events consumer holds its partitions (a wellness check: not readiness)
        .untilAsserted(() -> given().get("/q/health/well").then().statusCode(200));
    TestKafka.awaitEventConsumerAssigned(); // a run ends when its last status is applied
  }

  @Test
  void streamsTheRunThenItsEventsAndEndsWithTheRun() throws Exception {
    String id =
        JobEventsTest.submit("{\"type\":\"train\",\"name\":\"sse-" + UUID.randomUUID() + "\"}");

    Iterator<String> lines = stream(id);
    List<String> seen = new ArrayList<>();
    // the first event is the run view: once it is here the stream is subscribed to live events
    readUntil(lines, seen, "event:run");
    String view = readUntil(lines, seen, "data:");
    assertTrue(view.contains("\"id\":\"" + id + "\""), view);

    TestKafka.send(
        List.of(
            TestKafka.event(id, "w", Instant.now(), new JobEvent.Block(0, 3, "streamed text")),
            TestKafka.event(
                id, "w", Instant.now(), new JobEvent.Status(RunStatus.SUCCEEDED, null))));

    readUntil(lines, seen, "event:block");
    String block = readUntil(lines, seen, "data:");
    assertTrue(block.contains("streamed text") && block.contains("\"kind\":\"block\""), block);
    readUntil(lines, seen, "event:status");
    assertTrue(readUntil(lines, seen, "data:").contains("SUCCEEDED"));
    assertTrue(ends(lines).get(10, TimeUnit.SECONDS), "the stream ends after the run does");
  }

  /**
   * One key follows at most {@code bd3.gateway.runs.streams-per-key} runs at once (8): the next is
   * refused with 429 and a problem body, and a stream that ends makes room again.
   */
  @Test
  void aKeyFollowsAtMostItsLimitOfRunsAtOnce() throws Exception {
    String key = TestKeys.create("streams-" + UUID.randomUUID(), "reader");
    List<String> runs = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      runs.add(JobEventsTest.submit("{\"type\":\"train\"}"));
    }
    List<Iterator<String>> open = new ArrayList<>();
    for (String id : runs.subList(0, 8)) {
      Iterator<String> lines = stream(id, key, 200);
      readUntil(lines, new ArrayList<>(), "event:run"); // subscribed
      open.add(lines);
    }
    HttpResponse<Stream<String>> refused = send(runs.get(8), key);
    assertEquals(429, refused.statusCode());
    String problem = refused.body().reduce("", String::concat);
    assertTrue(problem.contains("streams-per-key"), problem);

    given().when().post("/api/v1/runs/" + runs.get(0) + "/cancel").then().statusCode(202);
    List<String> seen = new ArrayList<>();
    readUntil(open.get(0), seen, "event:status");
    assertTrue(readUntil(open.get(0), seen, "data:").contains("CANCELLED"), seen.toString());
    assertTrue(ends(open.get(0)).get(10, TimeUnit.SECONDS), "the first stream ended");
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertEquals(200, send(runs.get(8), key).statusCode()));
    for (String id : runs) {
      given().when().post("/api/v1/runs/" + id + "/cancel"); // ends the other streams
    }
  }

  /** A run's event stream, its lines as they come. */
  private Iterator<String> stream(String id) throws Exception {
    return stream(id, TestKeys.admin(), 200);
  }

  private Iterator<String> stream(String id, String key, int status) throws Exception {
    HttpResponse<Stream<String>> response = send(id, key);
    assertEquals(status, response.statusCode());
    assertTrue(
        response.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
    return response.body().iterator();
  }

  private HttpResponse<Stream<String>> send(String id, String key) throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest request =
        HttpRequest.newBuilder(jobs.resolve(id + "/events"))
            .header("Accept", "text/event-stream")
            .header("Authorization", "Bearer " + key)
            .timeout(Duration.ofSeconds(30))
            .build();
    return client.sendAsync(request, HttpResponse.BodyHandlers.ofLines()).get(10, TimeUnit.SECONDS);
  }

  /** True once the stream ends with no further event (false if another event comes). */
  private static CompletableFuture<Boolean> ends(Iterator<String> lines) {
    return CompletableFuture.supplyAsync(
        () -> {
          while (lines.hasNext()) {
            String line = lines.next();
            if (line.startsWith("data:") || line.startsWith("event:")) {
              return false;
            }
          }
          return true;
        });
  }

  /** A QUEUED run cancelled at the gateway ends its stream too (no worker will say so). */
  @Test
  void cancellingAQueuedRunEndsItsStream() throws Exception {
    String id = JobEventsTest.submit("{\"type\":\"train\"}");
    Iterator<String> lines = stream(id);
    List<String> seen = new ArrayList<>();
    readUntil(lines, seen, "event:run");
    readUntil(lines, seen, "data:");
    given().when().post("/api/v1/runs/" + id + "/cancel").then().statusCode(202);
    readUntil(lines, seen, "event:status");
    assertTrue(readUntil(lines, seen, "data:").contains("CANCELLED"), seen.toString());
    assertTrue(ends(lines).get(10, TimeUnit.SECONDS), "the stream ends after the run does");
  }

  @Test
  void unknownRunsAre404() {
    given()
        .accept("text/event-stream")
        .when()
        .get("/api/v1/runs/" + UUID.randomUUID() + "/events")
        .then()
        .statusCode(404);
  }

  /** Reads lines (at most 20 s) up to one that starts with {@code prefix}; returns it. */
  private static String readUntil(Iterator<String> lines, List<String> seen, String prefix)
      throws Exception {
    return CompletableFuture.supplyAsync(
            () -> {
              while (lines.hasNext()) {
                String line = lines.next().replaceFirst("^(event|data): ", "$1:");
                seen.add(line);
                if (line.startsWith(prefix)) {
                  return line;
                }
              }
              throw new AssertionError("stream ended before " + prefix + "; saw " + seen);
            })
        .get(20, TimeUnit.SECONDS);
  }
}
