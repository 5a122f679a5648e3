package dev.bd3.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.jobs.JobRequest;
import dev.bd3.jobs.JobType;
import dev.bd3.testsupport.SpecBoundaries;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a worker accepts from its topic: the same verdicts as the gateway's, case by case. */
class JobAdmissionTest {

  private static final String RUN = "4c1b7e1e-5a4f-4b8e-9f0e-2d6c9a3b1e70";
  private static final String DISPATCH = "0a7d3c55-2b1f-4e9a-8c6d-5e4f3a2b1c0d";

  /** A job message of this code's version with the given run id, envelope fields and spec. */
  private static String message(String runId, String type, String spec, String envelope) {
    return "{\"schemaVersion\":2,\"runId\":\""
        + runId
        + "\",\"type\":\""
        + type
        + "\",\"spec\":"
        + spec
        + ",\"dispatch\":\""
        + DISPATCH
        + "\""
        + envelope
        + "}";
  }

  private static String message(String type, String spec) {
    return message(RUN, type, spec, ",\"attemptLimit\":3");
  }

  @Test
  void theWorkerReachesTheContractsVerdictOnEveryBoundary() {
    for (SpecBoundaries.Case c : SpecBoundaries.all()) {
      String message = message(c.type().json(), c.spec("r0"));
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
    String train = message("train", "{}");
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> JobAttempt.parse(train, JobType.EVAL))
            .getMessage()
            .contains("a train job on the eval worker"));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            JobAttempt.parse(
                "{\"schemaVersion\":2,\"type\":\"train\",\"spec\":{}}", JobType.TRAIN));
    assertThrows(
        IllegalArgumentException.class, () -> JobAttempt.parse("{not json", JobType.TRAIN));
  }

  /** Every field of the envelope is checked: a record may come from anywhere. */
  @Test
  void everyFieldOfTheEnvelopeIsChecked() {
    assertEquals(3, JobAttempt.parse(message("train", "{}"), JobType.TRAIN).attemptLimit());
    Map<String, String> refused =
        Map.of(
            message("../../etc", "train", "{}", ",\"attemptLimit\":3"), "runId",
            message(RUN, "train", "{}", ""), "attemptLimit",
            message(RUN, "train", "{}", ",\"attemptLimit\":101"), "attemptLimit",
            message(RUN, "train", "{}", ",\"attemptLimit\":3,\"priorFailures\":-1"),
                "priorFailures",
            message(RUN, "train", "{}", ",\"attemptLimit\":3").replace(DISPATCH, "x"), "dispatch");
    refused.forEach(
        (message, field) ->
            assertTrue(
                assertThrows(
                        IllegalArgumentException.class,
                        () -> JobAttempt.parse(message, JobType.TRAIN),
                        message)
                    .getMessage()
                    .contains(field),
                message));
  }

  @Test
  void aMessageOfAnotherSchemaVersionIsRefused() {
    String v1 = "{\"runId\":\"" + RUN + "\",\"type\":\"train\",\"spec\":{}}";
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> JobAttempt.parse(v1, JobType.TRAIN))
            .getMessage()
            .contains("schema version 1"));
    String written =
        dev.bd3.jobs.Json.mapper()
            .valueToTree(
                new JobRequest(
                    RUN,
                    JobType.TRAIN,
                    JobAttempt.parse(message("train", "{}"), JobType.TRAIN).spec(),
                    null,
                    null,
                    0,
                    0,
                    3,
                    DISPATCH))
            .toString();
    assertTrue(written.contains("\"schemaVersion\":2"), written);
  }
}
