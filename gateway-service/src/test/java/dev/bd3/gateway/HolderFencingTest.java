package dev.bd3.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.gateway.runs.Metric;
import dev.bd3.jobs.Fence;
import dev.bd3.jobs.Grant;
import dev.bd3.jobs.HoldNotice;
import dev.bd3.jobs.JobEvent;
import dev.bd3.jobs.JobRequest;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.Json;
import dev.bd3.jobs.RunStatus;
import dev.bd3.testsupport.LocalStack;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Exactly one holder per run: of two copies of a job record, the first to start holds the run and
 * the other is told to stop; nothing changes a run that has ended; a job handed back by a stopping
 * worker is published again as a new dispatch that counts no failure, and the old dispatch's
 * records have no say.
 */
@QuarkusTest
@QuarkusTestResource(LocalStack.class)
class HolderFencingTest {
  private static final String JOBS = TestKafka.TOPICS.jobs(JobType.TRAIN);

  @BeforeEach
  void eventConsumerHoldsItsPartitions() {
    TestKeys.signInAsAdmin();
    TestKafka.awaitEventConsumerAssigned();
  }

  /** A submitted run and the job record the gateway published for it. */
  private record Submitted(String id, JobRequest job) {}

  private static Submitted submit() throws Exception {
    Map<TopicPartition, Long> mark = TestKafka.mark(JOBS);
    String id = JobEventsTest.submitTrain();
    return new Submitted(id, job(mark, id));
  }

  private static JobRequest job(Map<TopicPartition, Long> mark, String id) throws Exception {
    return Json.mapper().readValue(TestKafka.awaitKey(mark, id).value(), JobRequest.class);
  }

  private static JobEvent.Status status(RunStatus s) {
    return new JobEvent.Status(s, null);
  }

  /** The first notice of a kind the gateway sends about a run after a mark (control topic). */
  private static <T extends HoldNotice> T notice(
      Map<TopicPartition, Long> mark, String id, Class<T> kind) throws Exception {
    String value =
        TestKafka.await(
                mark,
                r -> id.equals(r.key()) && kind.isInstance(read(r.value())),
                Duration.ofSeconds(20))
            .value();
    return kind.cast(read(value));
  }

  private static Fence fenceAfter(Map<TopicPartition, Long> mark, String id) throws Exception {
    return notice(mark, id, Fence.class);
  }

  private static HoldNotice read(String value) {
    try {
      return value.startsWith("{") ? Json.mapper().readValue(value, HoldNotice.class) : null;
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long metrics(String id, String name) {
    return QuarkusTransaction.requiringNew()
        .call(() -> Metric.count("runId = ?1 and name = ?2", UUID.fromString(id), name));
  }

  @Test
  void ofTwoCopiesOfARecordTheFirstToStartHoldsTheRun() throws Exception {
    Submitted run = submit();
    String id = run.id();
    JobEvent.Holder first = new JobEvent.Holder(run.job().dispatch(), "0@5");
    JobEvent.Holder copy = new JobEvent.Holder(run.job().dispatch(), "1@7");
    Map<TopicPartition, Long> control = TestKafka.mark(TestKafka.TOPICS.control());

    TestKafka.send(
        List.of(
            TestKafka.event(id, 1, first, "worker-a", status(RunStatus.RUNNING)),
            TestKafka.event(id, 1, copy, "worker-b", status(RunStatus.RUNNING)),
            TestKafka.event(id, 1, copy, "worker-b", new JobEvent.Metric("copy", 1, 1.0)),
            TestKafka.event(id, 1, first, "worker-a", new JobEvent.Metric("held", 1, 1.0))));
    assertEquals(new Grant(id, 1, first), notice(control, id, Grant.class));
    Fence fence = fenceAfter(control, id);
    assertEquals(new Fence(id, 1, copy, first, false), fence);
    assertTrue(fence.recordSpent(), "the copy acknowledges its record");
    JobEventsTest.eventually(
        id, view -> view.body("status", equalTo("RUNNING")).body("worker", equalTo("worker-a")));
    org.awaitility.Awaitility.await()
        .atMost(JobEventsTest.WAIT)
        .until(() -> metrics(id, "held") == 1);
    assertEquals(0, metrics(id, "copy"), "the copy's metric was dropped");

    // the holder ends the run; nothing of anyone changes it after that
    TestKafka.send(List.of(TestKafka.event(id, 1, first, "worker-a", status(RunStatus.SUCCEEDED))));
    JobEventsTest.eventually(id, view -> view.body("status", equalTo("SUCCEEDED")));
    Map<TopicPartition, Long> later = TestKafka.mark(TestKafka.TOPICS.control());
    JobEvent.Holder late = new JobEvent.Holder(run.job().dispatch(), "2@9");
    TestKafka.send(
        List.of(
            TestKafka.event(id, 1, first, "worker-a", new JobEvent.Metric("after", 2, 1.0)),
            TestKafka.event(id, 2, late, "worker-c", status(RunStatus.RUNNING)),
            TestKafka.event(id, 2, late, "worker-c", status(RunStatus.FAILED))));
    assertEquals(new Fence(id, 2, late, first, true), fenceAfter(later, id));
    given()
        .get("/api/v1/runs/" + id)
        .then()
        .body("status", equalTo("SUCCEEDED"))
        .body("attempt", equalTo(1))
        .body("worker", equalTo("worker-a"));
    assertEquals(0, metrics(id, "after"), "nothing changes a run that has ended");
  }

  @Test
  void aJobHandedBackIsPublishedAgainWithoutAFailureAndItsOldRecordHasNoSay() throws Exception {
    Submitted run = submit();
    String id = run.id();
    String dispatch = run.job().dispatch();
    JobEvent.Holder record = new JobEvent.Holder(dispatch, "0@11");
    // attempt 1 fails and is released; attempt 2 (the same record again) is stopped gracefully
    Map<TopicPartition, Long> jobs = TestKafka.mark(JOBS);
    TestKafka.send(
        List.of(
            TestKafka.event(id, 1, record, "worker-a", status(RunStatus.RUNNING)),
            TestKafka.event(
                id, 1, record, "worker-a", new JobEvent.Status(RunStatus.QUEUED, "oom")),
            TestKafka.event(id, 2, record, "worker-b", status(RunStatus.RUNNING)),
            TestKafka.event(id, 2, record, "worker-b", new JobEvent.HandedBack("worker stopped"))));
    JobRequest again = job(jobs, id);
    assertNotEquals(dispatch, again.dispatch(), "a new dispatch");
    assertEquals(2, again.priorAttempts(), "the next delivery is attempt 3");
    assertEquals(1, again.priorFailures(), "the failure counts, the graceful stop does not");
    assertEquals(run.job().attemptLimit(), again.attemptLimit());
    assertEquals(run.job().deadline(), again.deadline());
    JobEventsTest.eventually(
        id,
        view ->
            view.body("status", equalTo("QUEUED")).body("error", containsString("worker stopped")));

    // the old record delivered again (its acknowledgement was lost) is refused
    Map<TopicPartition, Long> control = TestKafka.mark(TestKafka.TOPICS.control());
    TestKafka.send(List.of(TestKafka.event(id, 3, record, "worker-c", status(RunStatus.RUNNING))));
    Fence fence = fenceAfter(control, id);
    assertEquals(new Fence(id, 3, record, null, false), fence);
    assertTrue(fence.recordSpent());

    JobEvent.Holder fresh = new JobEvent.Holder(again.dispatch(), "0@12");
    TestKafka.send(
        List.of(
            TestKafka.event(id, 3, fresh, "worker-d", status(RunStatus.RUNNING)),
            TestKafka.event(id, 3, fresh, "worker-d", status(RunStatus.SUCCEEDED))));
    JobEventsTest.eventually(
        id,
        view ->
            view.body("status", equalTo("SUCCEEDED"))
                .body("attempt", equalTo(3))
                .body("worker", equalTo("worker-d")));
  }

  /** A later delivery of the holder's own record takes over; the earlier one is told to stop. */
  @Test
  void aLaterDeliveryTakesOverAndTheEarlierHolderIsFenced() throws Exception {
    Submitted run = submit();
    String id = run.id();
    JobEvent.Holder record = new JobEvent.Holder(run.job().dispatch(), "0@21");
    Map<TopicPartition, Long> control = TestKafka.mark(TestKafka.TOPICS.control());
    TestKafka.send(
        List.of(
            TestKafka.event(id, 1, record, "worker-a", status(RunStatus.RUNNING)),
            TestKafka.event(id, 2, record, "worker-b", status(RunStatus.RUNNING))));
    Fence fence = fenceAfter(control, id);
    assertEquals(new Fence(id, 1, record, record, false), fence);
    assertFalse(fence.recordSpent(), "the record is the new holder's delivery now");
    JobEventsTest.eventually(
        id, view -> view.body("attempt", equalTo(2)).body("worker", equalTo("worker-b")));
  }

  /**
   * A copy of the record at a later attempt (it was delivered before, to a worker that died) takes
   * the run over; the earlier holder's record is spent, so that it does not come back.
   */
  @Test
  void aCopyAtALaterAttemptTakesOverAndTheEarlierHoldersRecordIsSpent() throws Exception {
    Submitted run = submit();
    String id = run.id();
    JobEvent.Holder first = new JobEvent.Holder(run.job().dispatch(), "0@31");
    JobEvent.Holder copy = new JobEvent.Holder(run.job().dispatch(), "1@32");
    Map<TopicPartition, Long> control = TestKafka.mark(TestKafka.TOPICS.control());
    TestKafka.send(
        List.of(
            TestKafka.event(id, 1, first, "worker-a", status(RunStatus.RUNNING)),
            TestKafka.event(id, 2, copy, "worker-b", status(RunStatus.RUNNING))));
    Fence fence = fenceAfter(control, id);
    assertEquals(new Fence(id, 1, first, copy, false), fence);
    assertTrue(fence.recordSpent());
  }

  /**
   * A broker that restarted may hand the holder's record out again with the same delivery count:
   * the new worker's RUNNING is the holder's, and it is granted the hold again (it waits for the
   * grant before its first checkpoint).
   */
  @Test
  void theSameDeliveryStartedAgainIsGrantedAgain() throws Exception {
    Submitted run = submit();
    String id = run.id();
    JobEvent.Holder record = new JobEvent.Holder(run.job().dispatch(), "0@41");
    Map<TopicPartition, Long> control = TestKafka.mark(TestKafka.TOPICS.control());
    TestKafka.send(List.of(TestKafka.event(id, 1, record, "worker-a", status(RunStatus.RUNNING))));
    assertEquals(new Grant(id, 1, record), notice(control, id, Grant.class));
    Map<TopicPartition, Long> again = TestKafka.mark(TestKafka.TOPICS.control());
    TestKafka.send(List.of(TestKafka.event(id, 1, record, "worker-b", status(RunStatus.RUNNING))));
    assertEquals(new Grant(id, 1, record), notice(again, id, Grant.class));
  }
}
