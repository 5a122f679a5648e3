package dev.bd3.gateway;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.gateway.runs.Run;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.RunStatus;
import dev.bd3.testsupport.LocalStack;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code bd3_jobs_open{type}}, what the Kubernetes autoscaling scales each worker pool on, follows
 * the runs of its type that are queued or running: up on a submission, down on a cancellation.
 */
@QuarkusTest
@QuarkusTestResource(LocalStack.class)
class GatewayMetricsTest {
  private static final Pattern OPEN_TRAIN =
      Pattern.compile("^bd3_jobs_open\\{type=\"train\"\\} ([0-9.]+)$", Pattern.MULTILINE);

  @BeforeEach
  void signIn() {
    TestKeys.signInAsAdmin();
  }

  @Test
  void openJobsFollowSubmissionsAndCancellations() {
    String id = JobEventsTest.submitTrain();
    long withIt = awaitGaugeMatchesTheDatabase();
    assertTrue(withIt >= 1, "the submitted run is open");
    given().when().post("/api/v1/runs/" + id + "/cancel").then().statusCode(202);
    long without = awaitGaugeMatchesTheDatabase();
    assertTrue(without < withIt, "a cancelled run is no longer open: " + without);
  }

  /** Waits until the scraped gauge equals the open train runs in the database; returns it. */
  private static long awaitGaugeMatchesTheDatabase() {
    long[] seen = new long[1];
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              String metrics = given().when().get("/q/metrics").then().extract().asString();
              Matcher m = OPEN_TRAIN.matcher(metrics);
              seen[0] = m.find() ? (long) Double.parseDouble(m.group(1)) : -1;
              return seen[0] == openTrainRuns();
            });
    return seen[0];
  }

  private static long openTrainRuns() {
    return QuarkusTransaction.requiringNew()
        .call(
            () ->
                Run.count(
                    "type = ?1 and status in ?2",
                    JobType.TRAIN,
                    List.of(RunStatus.QUEUED, RunStatus.RUNNING)));
  }
}
