package dev.bd3.gateway;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bd3.gateway.runs.CheckpointRecord;
import dev.bd3.gateway.runs.EvalResult;
import dev.bd3.gateway.runs.Metric;
import dev.bd3.gateway.runs.Run;
import dev.bd3.gateway.runs.Sample;
import dev.bd3.jobs.JobEvent;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.Json;
import dev.bd3.jobs.RunStatus;
import dev.bd3.testsupport.LocalStack;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What workers report on bd3.job-events, applied idempotently; checkpoint references resolved. */
@QuarkusTest
@QuarkusTestResource(LocalStack.class)
class JobEventsTest {
  static final Duration WAIT = Duration.ofSeconds(20);

  @BeforeEach
  void eventConsumerHoldsItsPartitions() {
    TestKeys.signInAsAdmin();
    TestKafka.awaitEventConsumerAssigned();
  }

  static String submit(String body) {
    return given()
        .contentType(ContentType.JSON)
        .body(body)
        .when()
        .post("/api/v1/runs")
        .then()
        .statusCode(201)
        .extract()
        .path("id");
  }

  static String submitTrain() {
    return submit("{\"type\":\"train\",\"name\":\"events-" + UUID.randomUUID() + "\"}");
  }

  /** Counts of a run's result rows: metrics, checkpoints, samples, eval results. */
  static List<Long> rows(String id) {
    UUID run = UUID.fromString(id);
    return QuarkusTransaction.requiringNew()
        .call(
            () ->
                List.of(
                    Metric.count("runId", run),
                    CheckpointRecord.count("runId", run),
                    Sample.count("runId", run),
                    EvalResult.count("runId", run)));
  }

  @Test
  void eventsMoveARunToSucceededAndStoreItsResultsOnce() {
    String id = submitTrain();
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    List<JobEvent> events =
        List.of(
            TestKafka.event(id, "worker-a", t0, new JobEvent.Status(RunStatus.RUNNING, null)),
            TestKafka.event(
                id, "worker-a", t0.plusSeconds(1), new JobEvent.Progress(50, 100, 12.5)),
            TestKafka.event(
                id, "worker-a", t0.plusSeconds(1), new JobEvent.Metric("loss", 50, 2.5)),
            TestKafka.event(
                id, "worker-a", t0.plusSeconds(2), new JobEvent.Metric("loss", 100, 1.25)),
            TestKafka.event(
                id,
                "worker-a",
                t0.plusSeconds(2),
                new JobEvent.CheckpointWritten(
                    100, "file:///ckpt/" + id + "/100", "ab12", 1234, Map.of("loss", 1.25))),
            TestKafka.event(id, "worker-a", t0.plusSeconds(2), new JobEvent.Block(0, 0, "partial")),
            TestKafka.event(
                id,
                "worker-a",
                t0.plusSeconds(3),
                new JobEvent.Sample(0, "hello world", 16, 8, "eos", 3.5)),
            TestKafka.event(
                id,
                "worker-a",
                t0.plusSeconds(3),
                new JobEvent.EvalResult("file:///ckpt/" + id + "/100", "ppl", 42.0)),
            TestKafka.event(
                id, "worker-a", t0.plusSeconds(4), new JobEvent.Progress(100, 100, 0.0)),
            TestKafka.event(
                id, "worker-a", t0.plusSeconds(4), new JobEvent.Status(RunStatus.SUCCEEDED, null)));
    TestKafka.send(events);

    eventually(
        id,
        view ->
            view.statusCode(200)
                .body("status", equalTo("SUCCEEDED"))
                .body("attempt", equalTo(1))
                .body("worker", equalTo("worker-a"))
                .body("codeVersion", equalTo(TestKafka.VERSION))
                .body("startedAt", equalTo("2026-01-01T00:00:00Z"))
                .body("finishedAt", equalTo("2026-01-01T00:00:04Z"))
                .body("progress.step", equalTo(100))
                .body("progress.total", equalTo(100))
                .body("latestMetrics.loss", equalTo(1.25f))
                .body("checkpoints[0].step", equalTo(100))
                .body("checkpoints[0].uri", equalTo("file:///ckpt/" + id + "/100"))
                .body("checkpoints[0].sha256", equalTo("ab12"))
                .body("checkpoints[0].bytes", equalTo(1234))
                .body("checkpoints[0].metrics.loss", equalTo(1.25f))
                .body("samples[0].index", equalTo(0))
                .body("samples[0].text", equalTo("hello world"))
                .body("samples[0].stopReason", equalTo("eos"))
                .body("evalResults[0].metric", equalTo("ppl"))
                .body("evalResults[0].value", equalTo(42.0f)));
    given()
        .queryParam("name", "loss")
        .when()
        .get("/api/v1/runs/" + id + "/metrics")
        .then()
        .statusCode(200)
        .body("size()", equalTo(2))
        .body("[0].step", equalTo(50))
        .body("[0].value", equalTo(2.5f))
        .body("[1].step", equalTo(100))
        .body("time[1]", notNullValue());
    given()
        .when()
        .get("/api/v1/runs/" + id + "/checkpoints")
        .then()
        .statusCode(200)
        .body("size()", equalTo(1))
        .body("[0].step", equalTo(100));
    given()
        .when()
        .get("/api/v1/runs/" + id + "/samples")
        .then()
        .statusCode(200)
        .body("size()", equalTo(1))
        .body("[0].nfe", equalTo(8));
    assertEquals(List.of(2L, 1L, 1L, 1L), rows(id));
    Run before = QuarkusTransaction.requiringNew().call(() -> Run.findById(UUID.fromString(id)));

    // the same events delivered again, and one more after the end: none changes anything
    TestKafka.send(events);
    TestKafka.send(
        List.of(
            TestKafka.event(id, "worker-a", t0.plusSeconds(9), new JobEvent.Metric("late", 1, 1))));
    TestKafka.awaitEventsConsumed();
    assertEquals(List.of(2L, 1L, 1L, 1L), rows(id));

    Run after = QuarkusTransaction.requiringNew().call(() -> Run.findById(UUID.fromString(id)));
    assertEquals(before.status, after.status);
    assertEquals(before.attempt, after.attempt);
    assertEquals(before.startedAt, after.startedAt);
    assertEquals(before.finishedAt, after.finishedAt);
    assertEquals(before.progressStep, after.progressStep);
    given()
        .when()
        .get("/api/v1/runs/" + id)
        .then()
        .body("latestMetrics.loss", equalTo(1.25f))
        .body("evalResults.size()", equalTo(1))
        .body("checkpoints.size()", equalTo(1));

    // a finished run cannot be cancelled
    given()
        .when()
        .post("/api/v1/runs/" + id + "/cancel")
        .then()
        .statusCode(409)
        .contentType("application/problem+json");
  }

  @Test
  void onlyTheCurrentAttemptCountsAndTerminalStatusesStick() {
    String id = submitTrain();
    Instant t0 = Instant.parse("2026-02-01T00:00:00Z");
    JobEvent.Status running = new JobEvent.Status(RunStatus.RUNNING, null);
    TestKafka.send(
        List.of(
            TestKafka.event(id, 1, "worker-a", t0, running),
            TestKafka.event(id, 1, "worker-a", t0, new JobEvent.Metric("loss", 1, 3.0)),
            // the job went to worker-b (worker-a's lock ran out): worker-a is fenced off
            TestKafka.event(id, 2, "worker-b", t0.plusSeconds(60), running),
            TestKafka.event(id, 1, "worker-a", t0.plusSeconds(61), running),
            TestKafka.event(
                id, 1, "worker-a", t0.plusSeconds(61), new JobEvent.Metric("stale", 2, 1)),
            TestKafka.event(
                id,
                1,
                "worker-a",
                t0.plusSeconds(61),
                new JobEvent.CheckpointWritten(2, "file:///stale", "x", 1, null)),
            TestKafka.event(
                id,
                1,
                "worker-a",
                t0.plusSeconds(62),
                new JobEvent.Status(RunStatus.SUCCEEDED, null)),
            // worker-b's attempt fails and gives the job back; worker-c's is the last
            TestKafka.event(
                id,
                2,
                "worker-b",
                t0.plusSeconds(63),
                new JobEvent.Status(RunStatus.QUEUED, "attempt 2 failed: out of memory")),
            TestKafka.event(id, 3, "worker-c", t0.plusSeconds(64), running),
            TestKafka.event(
                id,
                3,
                "worker-c",
                t0.plusSeconds(65),
                new JobEvent.Status(RunStatus.FAILED, "gave up after 3 attempts: out of memory")),
            TestKafka.event(id, 3, "worker-c", t0.plusSeconds(66), running),
            TestKafka.event(
                id, 3, "worker-c", t0.plusSeconds(67), new JobEvent.Metric("end", 1, 1))));

    await().atMost(WAIT).untilAsserted(() -> assertEquals(1L, rows(id).get(0)));
    TestKafka.awaitEventsConsumed();
    assertEquals(1L, rows(id).get(0), "nothing after the end: not worker-c's last metric");
    given()
        .when()
        .get("/api/v1/runs/" + id)
        .then()
        .statusCode(200)
        .body("status", equalTo("FAILED"))
        .body("error", equalTo("gave up after 3 attempts: out of memory"))
        .body("attempt", equalTo(3))
        .body("worker", equalTo("worker-c"))
        .body("startedAt", equalTo("2026-02-01T00:00:00Z"))
        .body("finishedAt", equalTo("2026-02-01T00:01:05Z"))
        .body("latestMetrics.stale", nullValue())
        .body("checkpoints.size()", equalTo(0));
  }

  /** A byte model may generate NUL, which PostgreSQL's text refuses: stored as U+FFFD. */
  @Test
  void aSampleWithNulIsStoredAndTheConsumerGoesOn() {
    String id = submitTrain();
    TestKafka.send(
        List.of(
            TestKafka.event(
                id, 1, "w", Instant.now(), new JobEvent.Sample(0, "a\u0000b", 3, 1, "eos", 1)),
            TestKafka.event(id, 1, "w", Instant.now(), new JobEvent.Metric("after", 1, 1))));
    eventually(
        id,
        view ->
            view.body("samples[0].text", equalTo("a\uFFFDb"))
                .body("latestMetrics.after", equalTo(1.0f)));
  }

  /**
   * A worker that gives the job back leaves the run QUEUED with the reason, until it runs again.
   */
  @Test
  void aJobGivenBackWaitsQueuedWithItsReason() {
    String id = submitTrain();
    Instant t0 = Instant.now();
    TestKafka.send(
        List.of(
            TestKafka.event(id, 1, "w", t0, new JobEvent.Status(RunStatus.RUNNING, null)),
            TestKafka.event(
                id, 1, "w", t0, new JobEvent.Status(RunStatus.QUEUED, "worker stopped"))));
    eventually(
        id,
        view ->
            view.body("status", equalTo("QUEUED"))
                .body("error", equalTo("worker stopped"))
                .body("attempt", equalTo(1)));
  }

  @Test
  void evalWithTrainRunIdIsPublishedWithTheNewestCheckpoint() throws Exception {
    String train = submitTrain();
    String newest = "file:///ckpt/" + train + "/200";
    String older = "file:///ckpt/" + train + "/100";
    Instant t = Instant.now();
    TestKafka.send(
        List.of(
            TestKafka.event(
                train, "w", t, new JobEvent.CheckpointWritten(200, newest, "b", 2, null)),
            TestKafka.event(
                train, "w", t, new JobEvent.CheckpointWritten(100, older, null, 1, null))));
    await().atMost(WAIT).untilAsserted(() -> assertEquals(2L, rows(train).get(1)));
    given()
        .when()
        .get("/api/v1/runs/" + train + "/checkpoints")
        .then()
        .statusCode(200)
        .body("step", contains(100, 200))
        .body("[0].sha256", nullValue())
        .body("[1].sha256", equalTo("b"));

    Map<TopicPartition, Long> mark = TestKafka.mark(TestKafka.TOPICS.jobs(JobType.EVAL));
    String eval =
        given()
            .contentType(ContentType.JSON)
            .body("{\"type\":\"eval\",\"spec\":{\"trainRunId\":\"" + train + "\",\"mcDraws\":2}}")
            .when()
            .post("/api/v1/runs")
            .then()
            .statusCode(201)
            .body("spec.checkpoint", equalTo(newest))
            .body("spec.trainRunId", equalTo(train))
            .extract()
            .path("id");
    ConsumerRecord<String, String> record = TestKafka.awaitKey(mark, eval);
    JsonNode spec = Json.mapper().readTree(record.value()).get("spec");
    assertEquals(newest, spec.get("checkpoint").asText());
    assertEquals(2, spec.get("mcDraws").asInt());

    // a given step, a missing step, a judge run without checkpoints
    given()
        .contentType(ContentType.JSON)
        .body(
            "{\"type\":\"sample\",\"spec\":{\"trainRunId\":\""
                + train
                + "\",\"checkpointStep\":100}}")
        .when()
        .post("/api/v1/runs")
        .then()
        .statusCode(201)
        .body("spec.checkpoint", equalTo(older));
    given()
        .contentType(ContentType.JSON)
        .body(
            "{\"type\":\"sample\",\"spec\":{\"trainRunId\":\""
                + train
                + "\",\"checkpointStep\":300}}")
        .when()
        .post("/api/v1/runs")
        .then()
        .statusCode(409)
        .contentType("application/problem+json");
    given()
        .contentType(ContentType.JSON)
        .body(
            "{\"type\":\"eval\",\"spec\":{\"trainRunId\":\""
                + train
                + "\",\"judgeRunId\":\""
                + eval
                + "\"}}")
        .when()
        .post("/api/v1/runs")
        .then()
        .statusCode(409);
    // a judge must be autoregressive: this run has blockSize 4, the next one 1
    given()
        .contentType(ContentType.JSON)
        .body(
            "{\"type\":\"eval\",\"spec\":{\"trainRunId\":\""
                + train
                + "\",\"judgeRunId\":\""
                + train
                + "\"}}")
        .when()
        .post("/api/v1/runs")
        .then()
        .statusCode(400)
        .body("errors.field", hasItem("spec.judgeRunId"));
    String judge = submit("{\"type\":\"train\",\"spec\":{\"blockSize\":1}}");
    String judgeCheckpoint = checkpoint(judge, 50);
    given()
        .contentType(ContentType.JSON)
        .body(
            "{\"type\":\"eval\",\"spec\":{\"trainRunId\":\""
                + train
                + "\",\"judgeRunId\":\""
                + judge
                + "\"}}")
        .when()
        .post("/api/v1/runs")
        .then()
        .statusCode(201)
        .body("spec.judgeCheckpoint", equalTo(judgeCheckpoint));
    // the judge reads the evaluated model's tokens
    String gpt2 = submit("{\"type\":\"train\",\"spec\":{\"blockSize\":1,\"tokenizer\":\"gpt2\"}}");
    checkpoint(gpt2, 50);
    postJob(
            "{\"type\":\"eval\",\"spec\":{\"trainRunId\":\""
                + train
                + "\",\"judgeRunId\":\""
                + gpt2
                + "\"}}")
        .statusCode(400)
        .body("errors.field", hasItem("spec.judgeRunId"))
        .body("errors.message", hasItem(containsString("reads gpt2 tokens")));
  }

  /**
   * The reference's causal model is evaluated and judges, but is not block-sampled: the gateway
   * refuses what its workers could not run.
   */
  @Test
  void theCausalModelIsEvaluatedButNotBlockSampled() {
    String causal = submit("{\"type\":\"train\",\"spec\":{\"causal\":true,\"blockSize\":1}}");
    String uri = checkpoint(causal, 10);
    String diffusion = submit("{\"type\":\"train\",\"spec\":{}}");
    checkpoint(diffusion, 10);
    postJob("{\"type\":\"sample\",\"spec\":{\"trainRunId\":\"" + causal + "\"}}")
        .statusCode(400)
        .body("errors.field", hasItem("spec.trainRunId"));
    postJob("{\"type\":\"sample\",\"spec\":{\"checkpoint\":\"" + uri + "\"}}")
        .statusCode(400)
        .body("errors.field", hasItem("spec.checkpoint"));
    postJob("{\"type\":\"eval\",\"spec\":{\"trainRunId\":\"" + causal + "\",\"genSamples\":2}}")
        .statusCode(400)
        .body("errors.field", hasItem("spec.genSamples"));
    postJob("{\"type\":\"eval\",\"spec\":{\"trainRunId\":\"" + causal + "\"}}").statusCode(201);
    postJob(
            "{\"type\":\"eval\",\"spec\":{\"trainRunId\":\""
                + diffusion
                + "\",\"genSamples\":2,\"judgeRunId\":\""
                + causal
                + "\"}}")
        .statusCode(201)
        .body("spec.judgeCheckpoint", equalTo(uri));
  }

  private static ValidatableResponse postJob(String body) {
    return given().contentType(ContentType.JSON).body(body).when().post("/api/v1/runs").then();
  }

  /** Waits until the run's view passes the check. */
  static void eventually(String id, Consumer<ValidatableResponse> check) {
    await()
        .atMost(WAIT)
        .untilAsserted(() -> check.accept(given().get("/api/v1/runs/" + id).then()));
  }

  /** Records a checkpoint of a run at a step, as its worker would; returns its URI. */
  static String checkpoint(String run, long step) {
    String uri = "file:///ckpt/" + run + "/" + step;
    TestKafka.send(
        List.of(
            TestKafka.event(
                run, "w", Instant.now(), new JobEvent.CheckpointWritten(step, uri, "c", 3, null))));
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertEquals(
                    1L,
                    QuarkusTransaction.requiringNew()
                        .call(() -> CheckpointRecord.count("uri", uri))));
    return uri;
  }

  @Test
  void aPoisonMessageGoesToTheDeadLetterTopicAndTheConsumerGoesOn() {
    String id = submitTrain();
    Map<TopicPartition, Long> dlq = TestKafka.mark(TestKafka.TOPICS.deadLetter());
    String poison = "{not json at all " + UUID.randomUUID();
    // same key as the run: same partition, so the valid event comes after the poison
    TestKafka.sendRaw(id, poison);
    TestKafka.send(
        List.of(TestKafka.event(id, "w", Instant.now(), new JobEvent.Progress(7, 70, null))));

    ConsumerRecord<String, String> dead = TestKafka.await(dlq, r -> poison.equals(r.value()), WAIT);
    assertEquals(id, dead.key());
    assertTrue(dead.headers().lastHeader("dead-letter-reason") != null);
    eventually(id, view -> view.body("progress.step", equalTo(7)));
  }

  @Test
  void cancellingAQueuedRunEndsItAndTellsTheWorkers() {
    String id = submitTrain();
    Map<TopicPartition, Long> control = TestKafka.mark(TestKafka.TOPICS.control());
    given()
        .when()
        .post("/api/v1/runs/" + id + "/cancel")
        .then()
        .statusCode(202)
        .body("id", equalTo(id))
        .body("status", equalTo("CANCELLED"))
        .body("finishedAt", notNullValue());
    ConsumerRecord<String, String> record = TestKafka.awaitKey(control, id);
    assertEquals(id, record.value());
    given()
        .when()
        .post("/api/v1/runs/" + id + "/cancel")
        .then()
        .statusCode(409)
        .contentType("application/problem+json");
    given()
        .queryParam("status", "CANCELLED")
        .when()
        .get("/api/v1/runs")
        .then()
        .statusCode(200)
        .body("id", hasItem(id));
  }
}
