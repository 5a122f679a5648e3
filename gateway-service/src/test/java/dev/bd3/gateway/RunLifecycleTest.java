package dev.bd3.gateway;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.jobs.JobEvent;
import dev.bd3.jobs.JobRequest;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.Json;
import dev.bd3.jobs.RunStatus;
import dev.bd3.testsupport.LocalStack;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Runs never freeze: a run whose worker went silent shows it and can be cancelled at once, one that
 * went silent on its last attempt fails, one past its deadline fails; and the outbox never jams on
 * a record the broker cannot take. (The test profile: silent after 3 s, checked every second.)
 */
@QuarkusTest
@QuarkusTestResource(LocalStack.class)
class RunLifecycleTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @BeforeEach
  void eventConsumerHoldsItsPartitions() {
    TestKeys.signInAsAdmin();
    TestKafka.awaitEventConsumerAssigned();
  }

  @Test
  void aRunWhoseWorkerWentSilentIsShownLostAndCancelledAtOnce() {
    String id = JobEventsTest.submitTrain();
    TestKafka.send(
        List.of(
            TestKafka.event(
                id, 1, "w", Instant.now(), new JobEvent.Status(RunStatus.RUNNING, null))));
    JobEventsTest.eventually(
        id, view -> view.body("status", equalTo("RUNNING")).body("workerLost", equalTo(true)));
    given()
        .when()
        .post("/api/v1/jobs/" + id + "/cancel")
        .then()
        .statusCode(202)
        .body("status", equalTo("CANCELLED"))
        .body("error", equalTo("worker lost"));
  }

  @Test
  void aRunSilentOnItsLastAttemptFails() {
    String id = JobEventsTest.submitTrain();
    TestKafka.send(
        List.of(
            TestKafka.event(
                id, 3, "w", Instant.now(), new JobEvent.Status(RunStatus.RUNNING, null))));
    JobEventsTest.eventually(
        id,
        view ->
            view.body("status", equalTo("FAILED"))
                .body("error", containsString("gave up after 3 attempts: worker lost")));
  }

  @Test
  void aRunPastItsDeadlineFailsAndNoLongerWaitsInTheQueue() {
    String id =
        JobEventsTest.submit("{\"type\":\"train\",\"timeoutSeconds\":1,\"spec\":{\"steps\":5}}");
    JobEventsTest.eventually(
        id,
        view ->
            view.body("status", equalTo("FAILED"))
                .body("error", containsString("deadline exceeded")));
    given()
        .contentType(ContentType.JSON)
        .body("{\"type\":\"train\",\"timeoutSeconds\":999999999}")
        .when()
        .post("/api/v1/jobs")
        .then()
        .statusCode(400)
        .body("errors.field", hasItem("timeoutSeconds"));
  }

  /**
   * A record the broker can never take is parked with the reason and fails its run; the rows after
   * it are published.
   */
  @Test
  void anOversizedRecordIsParkedAndTheRowsAfterItGoOut() {
    String doomed = JobEventsTest.submitTrain();
    Map<TopicPartition, Long> mark = TestKafka.mark(TestKafka.TOPICS.jobs(JobType.TRAIN));
    long parked =
        QuarkusTransaction.requiringNew()
            .call(
                () ->
                    OutboxMessage.enqueue(
                            TestKafka.TOPICS.jobs(JobType.TRAIN), doomed, "x".repeat(2 << 20))
                        .id);
    String after = JobEventsTest.submitTrain();
    assertNotNull(TestKafka.awaitKey(mark, after), "the next job was published");
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              OutboxMessage row =
                  QuarkusTransaction.requiringNew().call(() -> OutboxMessage.findById(parked));
              assertNotNull(row.parkedAt, "parked");
              given()
                  .get("/api/v1/jobs/" + doomed)
                  .then()
                  .body("status", equalTo("FAILED"))
                  .body("error", containsString("RecordTooLargeException"));
            });
    long pending =
        QuarkusTransaction.requiringNew()
            .call(() -> OutboxMessage.count("id = ?1 and sentAt is null", parked));
    assertEquals(1, pending, "a parked row is never marked sent");
  }

  /** A job a worker parked can be listed and replayed: its run is QUEUED again, its job re-sent. */
  @Test
  void aParkedJobIsListedAndReplayed() throws Exception {
    String jobs = TestKafka.TOPICS.jobs(JobType.TRAIN);
    Map<TopicPartition, Long> mark = TestKafka.mark(jobs);
    String id = JobEventsTest.submitTrain();
    String job = TestKafka.awaitKey(mark, id).value();
    TestKafka.send(
        List.of(
            TestKafka.event(
                id, 2, "w", Instant.now(), new JobEvent.Status(RunStatus.RUNNING, null)),
            TestKafka.event(
                id, 2, "w", Instant.now(), new JobEvent.Status(RunStatus.FAILED, "no such file"))));
    TestKafka.sendDeadLetter(id, job, jobs, "FAILED: no such file");
    JobEventsTest.eventually(id, view -> view.body("status", equalTo("FAILED")));

    var listed =
        given()
            .queryParam("limit", 20)
            .get("/api/v1/dead-letters")
            .then()
            .statusCode(200)
            .body("key", hasItem(id))
            .extract()
            .jsonPath();
    int index = listed.getList("key").indexOf(id);
    assertEquals(jobs, listed.getString("[" + index + "].topic"));
    assertEquals("FAILED: no such file", listed.getString("[" + index + "].reason"));

    Map<TopicPartition, Long> before = TestKafka.mark(jobs);
    String replay =
        "/api/v1/dead-letters/"
            + listed.getInt("[" + index + "].partition")
            + "/"
            + listed.getLong("[" + index + "].offset")
            + "/replay";
    given().post(replay).then().statusCode(200);
    given()
        .get("/api/v1/jobs/" + id)
        .then()
        .body("status", equalTo("QUEUED"))
        .body("error", containsString("replayed"));
    JobRequest first = Json.mapper().readValue(job, JobRequest.class);
    JobRequest again =
        Json.mapper().readValue(TestKafka.awaitKey(before, id).value(), JobRequest.class);
    assertEquals(2, again.priorAttempts(), "the next delivery is attempt 3");
    assertEquals(0, again.priorFailures(), "a replay forgives the failures");
    assertNotEquals(first.dispatch(), again.dispatch(), "a new dispatch");
    assertTrue(again.deadline().isAfter(first.deadline()), "a deadline as long as the first");

    // replaying the same letter again publishes nothing more
    given().post(replay).then().statusCode(200);
    long published =
        QuarkusTransaction.requiringNew()
            .call(() -> OutboxMessage.count("topic = ?1 and messageKey = ?2", jobs, id));
    assertEquals(2, published, "the submission and one replay");

    // a run cancelled since is not revived
    given().post("/api/v1/jobs/" + id + "/cancel").then().statusCode(202);
    given().post(replay).then().statusCode(409);
    given().get("/api/v1/jobs/" + id).then().body("status", equalTo("CANCELLED"));
    given().post("/api/v1/dead-letters/0/999999999/replay").then().statusCode(404);
  }

  @Test
  void theWorkersEventsOfAnUnknownRunChangeNothing() {
    String unknown = UUID.randomUUID().toString();
    TestKafka.send(
        List.of(TestKafka.event(unknown, 1, "w", Instant.now(), new JobEvent.Heartbeat())));
    given().get("/api/v1/jobs/" + unknown).then().statusCode(404);
  }
}
