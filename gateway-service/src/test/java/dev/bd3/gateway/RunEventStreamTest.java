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

/** GET /api/v1/jobs/{id}/events: the run view, then its events live, until it ends. */
@QuarkusTest
@QuarkusTestResource(LocalStack.class)
class RunEventStreamTest {

  @TestHTTPResource("/api/v1/jobs/")
  URI jobs;

  /** A stream follows events from the moment the gateway reads the events topic: its readiness. */
  @BeforeEach
  void gatewayIsReady() {
    TestKeys.signInAsAdmin();
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> given().get("/q/health/ready").then().statusCode(200));
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

  /** A run's event stream, its lines as they come. */
  private Iterator<String> stream(String id) throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest request =
        HttpRequest.newBuilder(jobs.resolve(id + "/events"))
            .header("Accept", "text/event-stream")
            .header("Authorization", "Bearer " + TestKeys.admin())
            .timeout(Duration.ofSeconds(30))
            .build();
    HttpResponse<Stream<String>> response =
        client.sendAsync(request, HttpResponse.BodyHandlers.ofLines()).get(10, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode());
    assertTrue(
        response.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
    return response.body().iterator();
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
    given().when().post("/api/v1/jobs/" + id + "/cancel").then().statusCode(202);
    readUntil(lines, seen, "event:status");
    assertTrue(readUntil(lines, seen, "data:").contains("CANCELLED"), seen.toString());
    assertTrue(ends(lines).get(10, TimeUnit.SECONDS), "the stream ends after the run does");
  }

  @Test
  void unknownRunsAre404() {
    given()
        .accept("text/event-stream")
        .when()
        .get("/api/v1/jobs/" + UUID.randomUUID() + "/events")
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
