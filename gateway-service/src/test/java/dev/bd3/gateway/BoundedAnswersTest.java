package dev.bd3.gateway;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.jobs.JobEvent;
import dev.bd3.testsupport.LocalStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A run's metrics, samples and checkpoints come in bounded pages, and charts get an outline. */
@QuarkusTest
@QuarkusTestResource(LocalStack.class)
class BoundedAnswersTest {

  @BeforeEach
  void signIn() {
    TestKeys.signInAsAdmin();
    TestKafka.awaitEventConsumerAssigned();
  }

  private static List<Long> steps(String url) {
    return given().get(url).then().statusCode(200).extract().jsonPath().getList("step", Long.class);
  }

  @Test
  void metricsArePagedPerSeriesAndDownsampledForCharts() {
    String id = JobEventsTest.submitTrain();
    List<JobEvent> events = new ArrayList<>();
    for (int step = 1; step <= 1000; step++) {
      events.add(TestKafka.event(id, "w", Instant.now(), new JobEvent.Metric("loss", step, step)));
    }
    for (int step = 1; step <= 10; step++) {
      events.add(TestKafka.event(id, "w", Instant.now(), new JobEvent.Metric("lr", step, 0.1)));
    }
    TestKafka.send(events);
    String metrics = "/api/v1/runs/" + id + "/metrics";
    await()
        .atMost(JobEventsTest.WAIT)
        .untilAsserted(() -> assertEquals(1010, steps(metrics).size()));

    List<Long> outline = steps(metrics + "?name=loss&maxPoints=50");
    assertTrue(outline.size() <= 51 && outline.size() >= 45, outline.size() + " points");
    assertEquals(1L, outline.get(0), "the first point");
    assertEquals(1000L, outline.get(outline.size() - 1), "the last point");
    List<Long> both = steps(metrics + "?maxPoints=50");
    assertEquals(outline.size() + 10, both.size(), "a short series is whole");

    assertEquals(
        IntStream.rangeClosed(901, 950).mapToObj(i -> (long) i).toList(),
        steps(metrics + "?name=loss&after=900&limit=50"),
        "the page after step 900");
    given()
        .get(metrics + "?after=5")
        .then()
        .statusCode(400)
        .body("errors[0].field", equalTo("after"));
    given()
        .get(metrics + "?limit=0")
        .then()
        .statusCode(400)
        .body("detail", containsString("limit"));
    given().get(metrics + "?limit=10001").then().statusCode(400);
  }

  @Test
  void samplesAndCheckpointsArePagedAndTheViewCountsThem() {
    String id = JobEventsTest.submitTrain();
    List<JobEvent> events = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      events.add(
          TestKafka.event(
              id, "w", Instant.now(), new JobEvent.Sample(i, "text " + i, 4, 2, "length", 1.0)));
      events.add(
          TestKafka.event(
              id,
              "w",
              Instant.now(),
              new JobEvent.CheckpointWritten(
                  (i + 1) * 10L, "file:///ckpt/" + id + "/" + i, "s", 1, null)));
    }
    TestKafka.send(events);
    String run = "/api/v1/runs/" + id;
    await()
        .atMost(JobEventsTest.WAIT)
        .untilAsserted(
            () ->
                given()
                    .get(run)
                    .then()
                    .body("sampleCount", equalTo(5))
                    .body("checkpointCount", equalTo(5)));
    assertEquals(
        List.of(2, 3),
        given()
            .get(run + "/samples?limit=2&offset=2")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath()
            .getList("index", Integer.class));
    assertEquals(List.of(40L, 50L), steps(run + "/checkpoints?limit=2&offset=3"));
    given().get(run + "/samples?limit=1001").then().statusCode(400);
    given().get(run + "/checkpoints?offset=-1").then().statusCode(400);
  }
}
