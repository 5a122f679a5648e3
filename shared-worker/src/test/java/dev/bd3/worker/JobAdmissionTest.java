package dev.bd3.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.jobs.JobRequest;
import dev.bd3.jobs.JobType;
import dev.bd3.testsupport.SpecBoundaries;
import org.junit.jupiter.api.Test;

/** What a worker accepts from its topic: the same verdicts as the gateway's, case by case. */
class JobAdmissionTest {

  @Test
  void theWorkerReachesTheContractsVerdictOnEveryBoundary() {
    for (SpecBoundaries.Case c : SpecBoundaries.all()) {
      String message =
          "{\"runId\":\"r1\",\"type\":\"" + c.type().json() + "\",\"spec\":" + c.spec("r0") + "}";
      if (c.accepted()) {
        JobRequest job = JobAttempt.parse(message, c.type());
        assertEquals(c.type().specClass(), job.spec().getClass(), c.toString());
      } else {
        IllegalArgumentException refused =
            assertThrows(
                IllegalArgumentException.class,
                () -> JobAttempt.parse(message, c.type()),
                c.toString());
        assertTrue(
            refused.getMessage().contains(c.rejected()),
            c + ": the reason names the field: " + refused.getMessage());
      }
    }
  }

  @Test
  void aJobOfAnotherKindOrWithoutItsPartsIsRefused() {
    String train = "{\"runId\":\"r1\",\"type\":\"train\",\"spec\":{}}";
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> JobAttempt.parse(train, JobType.EVAL))
            .getMessage()
            .contains("a train job on the eval worker"));
    assertThrows(
        IllegalArgumentException.class,
        () -> JobAttempt.parse("{\"type\":\"train\",\"spec\":{}}", JobType.TRAIN));
    assertThrows(
        IllegalArgumentException.class, () -> JobAttempt.parse("{not json", JobType.TRAIN));
  }

  @Test
  void aMessageOfAnotherSchemaVersionIsRefusedAndTheFirstIsRead() {
    String v2 = "{\"schemaVersion\":2,\"runId\":\"r1\",\"type\":\"train\",\"spec\":{}}";
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> JobAttempt.parse(v2, JobType.TRAIN))
            .getMessage()
            .contains("schema version 2"));
    String unversioned = "{\"runId\":\"r1\",\"type\":\"train\",\"spec\":{}}";
    assertEquals(1, JobAttempt.parse(unversioned, JobType.TRAIN).version());
    String written =
        dev.bd3.jobs.Json.mapper()
            .valueToTree(
                new JobRequest(
                    "r1",
                    JobType.TRAIN,
                    JobAttempt.parse(unversioned, JobType.TRAIN).spec(),
                    null,
                    null,
                    0))
            .toString();
    assertTrue(written.contains("\"schemaVersion\":1"), written);
  }
}
