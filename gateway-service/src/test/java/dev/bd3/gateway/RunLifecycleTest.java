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

import dev.bd3.gateway.queue.OutboxMessage;
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
        .post("/api/v1/runs/" + id + "/cancel")
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

  /**
   * The queue's record of a QUEUED run deleted (as retention would): a run with attempts left is
   * published again, the loss counted as a failed attempt; one at its limit fails.
   */
  @Test
  void aQueuedRunWhoseRecordTheQueueLostIsPublishedAgainOrFails() throws Exception {
    String jobs = TestKafka.TOPICS.jobs(JobType.TRAIN);
    Map<TopicPartition, Long> mark = TestKafka.mark(jobs);
    String fresh = JobEventsTest.submitTrain();
    String tried = JobEventsTest.submitTrain();
    JobRequest freshJob =
        Json.mapper().readValue(TestKafka.awaitKey(mark, fresh).value(), JobRequest.class);
    var record = TestKafka.awaitKey(mark, tried);
    JobRequest triedJob = Json.mapper().readValue(record.value(), JobRequest.class);
    JobEvent.Holder holder =
        new JobEvent.Holder(
            triedJob.dispatch(), JobEvent.Holder.record(record.partition(), record.offset()));
    List<JobEvent> failures = new java.util.ArrayList<>();
    // three deliveries, each released after a failure
    for (int attempt = 1; attempt <= 3; attempt++) {
      failures.add(
          TestKafka.event(
              tried, attempt, holder, "w", new JobEvent.Status(RunStatus.RUNNING, null)));
      failures.add(
          TestKafka.event(
              tried,
              attempt,
              holder,
              "w",
              new JobEvent.Status(RunStatus.QUEUED, "attempt " + attempt + " failed")));
    }
    TestKafka.send(failures);
    JobEventsTest.eventually(
        tried, view -> view.body("status", equalTo("QUEUED")).body("attempt", equalTo(3)));

    Map<TopicPartition, Long> end = TestKafka.mark(jobs);
    TestKafka.deleteRecordsBefore(end);
    JobRequest again =
        Json.mapper().readValue(TestKafka.awaitKey(end, fresh).value(), JobRequest.class);
    assertNotEquals(freshJob.dispatch(), again.dispatch(), "a new dispatch");
    assertEquals(1, again.priorFailures(), "the lost record counts as a failed attempt");
    JobEventsTest.eventually(
        fresh,
        view ->
            view.body("status", equalTo("QUEUED"))
                .body("error", containsString("the queue no longer held the job")));
    JobEventsTest.eventually(
        tried,
        view ->
            view.body("status", equalTo("FAILED"))
                .body(
                    "error", containsString("gave up after 3 attempts: the queue no longer held")));
  }

  /**
   * Runs whose records their queue still holds never hide a newer one whose record is gone: more
   * than a page of waiting training jobs, then a sample job whose queue lost its record, which is
   * published again.
   */
  @Test
  void manyWaitingJobsDoNotHideALostOne() throws Exception {
    String model = JobEventsTest.submitTrain();
    JobEventsTest.checkpoint(model, 1);
    for (int i = 0; i < 120; i++) {
      JobEventsTest.submitTrain(); // waiting, their records held
    }
    String samples = TestKafka.TOPICS.jobs(JobType.SAMPLE);
    Map<TopicPartition, Long> mark = TestKafka.mark(samples);
    String lost =
        JobEventsTest.submit("{\"type\":\"sample\",\"spec\":{\"trainRunId\":\"" + model + "\"}}");
    TestKafka.awaitKey(mark, lost);
    Map<TopicPartition, Long> end = TestKafka.mark(samples);
    TestKafka.deleteRecordsBefore(end);
    TestKafka.awaitKey(end, lost); // published again
    JobEventsTest.eventually(
        lost, view -> view.body("error", containsString("the queue no longer held the job")));
  }

  /**
   * A run handed on twice (graceful stops) and silent on its third attempt has failed no attempt:
   * it is shown lost but not given up, for the broker to deliver it again.
   */
  @Test
  void gracefulStopsUseUpNoAttempt() throws Exception {
    String jobs = TestKafka.TOPICS.jobs(JobType.TRAIN);
    Map<TopicPartition, Long> mark = TestKafka.mark(jobs);
    String id = JobEventsTest.submitTrain();
    JobRequest job =
        Json.mapper().readValue(TestKafka.awaitKey(mark, id).value(), JobRequest.class);
    for (int attempt = 1; attempt <= 3; attempt++) {
      JobEvent.Holder holder = new JobEvent.Holder(job.dispatch(), "0@" + (1000 + attempt));
      List<JobEvent> events = new java.util.ArrayList<>();
      events.add(
          TestKafka.event(id, attempt, holder, "w", new JobEvent.Status(RunStatus.RUNNING, null)));
      if (attempt < 3) {
        events.add(
            TestKafka.event(id, attempt, holder, "w", new JobEvent.HandedBack("worker stopped")));
      }
      Map<TopicPartition, Long> before = TestKafka.mark(jobs);
      TestKafka.send(events);
      if (attempt < 3) {
        job = Json.mapper().readValue(TestKafka.awaitKey(before, id).value(), JobRequest.class);
        assertEquals(0, job.priorFailures());
      }
    }
    JobEventsTest.eventually(
        id,
        view ->
            view.body("status", equalTo("RUNNING"))
                .body("attempt", equalTo(3))
                .body("failedAttempts", equalTo(0))
                .body("workerLost", equalTo(true)));
    Thread.sleep(3_000); // three more checks of silent runs
    given().get("/api/v1/runs/" + id).then().body("status", equalTo("RUNNING"));
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
        .post("/api/v1/runs")
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
                  .get("/api/v1/runs/" + doomed)
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
        .get("/api/v1/runs/" + id)
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
    given().post("/api/v1/runs/" + id + "/cancel").then().statusCode(202);
    given().post(replay).then().statusCode(409);
    given().get("/api/v1/runs/" + id).then().body("status", equalTo("CANCELLED"));
    given().post("/api/v1/dead-letters/0/999999999/replay").then().statusCode(404);
  }

  @Test
  void theWorkersEventsOfAnUnknownRunChangeNothing() {
    String unknown = UUID.randomUUID().toString();
    TestKafka.send(
        List.of(TestKafka.event(unknown, 1, "w", Instant.now(), new JobEvent.Heartbeat())));
    given().get("/api/v1/runs/" + unknown).then().statusCode(404);
  }
}
