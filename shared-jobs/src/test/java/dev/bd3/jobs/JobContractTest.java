package dev.bd3.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JobContractTest {

  @Test
  void jobRequestCarriesItsTypedSpecThroughJson() throws Exception {
    SampleSpec spec =
        new SampleSpec(
            "run-1",
            100L,
            "file:///a.ckpt",
            2,
            64,
            "parallel",
            8,
            0.9,
            0.7,
            4,
            0.8,
            "Hi",
            true,
            null,
            false,
            true,
            7L);
    JobRequest sent =
        new JobRequest(
            "run-2",
            JobType.SAMPLE,
            spec,
            Instant.parse("2026-01-01T00:00:00Z"),
            Instant.parse("2026-01-02T00:00:00Z"),
            2,
            1,
            3,
            "9b2f8a52-6c1e-4d55-8f7e-1f0d2f3a4b5c");

    String json = Json.mapper().writeValueAsString(sent);
    JsonNode tree = Json.mapper().readTree(json);
    assertEquals("sample", tree.get("type").asText());
    assertEquals("2026-01-01T00:00:00Z", tree.get("submittedAt").asText());
    assertNull(tree.get("spec").get("entropyThreshold"), "nulls are left out");

    JobRequest received = Json.mapper().readValue(json, JobRequest.class);
    assertEquals(sent, received);
    assertInstanceOf(SampleSpec.class, received.spec());
  }

  @Test
  void eventsNameTheirKind() throws Exception {
    JobEvent sent =
        JobEvent.of(
            "r",
            2,
            new JobEvent.Holder("d", JobEvent.Holder.record(1, 42)),
            "w",
            new JobEvent.CheckpointWritten(500, "file:///c", "ab", 10, Map.of("loss", 1.5)));
    String json = Json.mapper().writeValueAsString(sent);
    assertTrue(json.contains("\"kind\":\"checkpoint\""), json);
    assertEquals(sent, Json.mapper().readValue(json, JobEvent.class));
    assertTrue(json.contains("\"attempt\":2"), json);
    assertTrue(json.contains("\"record\":\"1@42\""), json);

    JobEvent status =
        Json.mapper()
            .readValue(
                "{\"runId\":\"r\",\"payload\":{\"kind\":\"status\",\"status\":\"FAILED\",\"reason\":\"x\"}}",
                JobEvent.class);
    assertEquals(new JobEvent.Status(RunStatus.FAILED, "x"), status.payload());
  }

  @Test
  void jobTypesMapToTheirTopicsAndSpecs() {
    assertEquals("bd3.jobs.train", Topics.DEFAULT.jobs(JobType.TRAIN));
    assertEquals("bd3test.job-events", new Topics("bd3test").events());
    assertEquals(EvalSpec.class, JobType.parse("EVAL").specClass());
    assertNull(JobType.parse("predict"));
    assertTrue(RunStatus.CANCELLED.isTerminal());
    assertTrue(!RunStatus.RUNNING.isTerminal());
  }

  /**
   * Every string a request carries into a job record is bounded, so the largest valid job fits in a
   * Kafka record (the producer's 1 MiB) with room to spare: the outbox never meets a valid request
   * it cannot send.
   */
  @Test
  void theLargestValidJobFitsInARecord() throws Exception {
    String uri = "file:///" + "€".repeat(2040);
    SampleSpec sample =
        new SampleSpec(
            "r".repeat(64),
            1L,
            uri,
            64,
            131_072,
            "first-hitting",
            4096,
            1.0,
            0.123456789,
            8192,
            0.123456789,
            "€".repeat(4096),
            true,
            100.0,
            true,
            true,
            Long.MAX_VALUE);
    EvalSpec eval =
        new EvalSpec(
            "r".repeat(64),
            1L,
            uri,
            "validation",
            "01234567-89ab-cdef-0123-456789abcdef",
            "f".repeat(64),
            100_000,
            1024,
            64,
            256,
            "j".repeat(64),
            uri,
            true,
            Long.MAX_VALUE);
    assertTrue(
        SpecValidation.violations(sample).isEmpty(), SpecValidation.violations(sample).toString());
    assertTrue(
        SpecValidation.violations(eval).isEmpty(), SpecValidation.violations(eval).toString());
    for (JobSpec spec : new JobSpec[] {sample, eval}) {
      JobType type = spec instanceof SampleSpec ? JobType.SAMPLE : JobType.EVAL;
      byte[] record =
          Json.mapper()
              .writeValueAsBytes(
                  new JobRequest(
                      "x".repeat(36),
                      type,
                      spec,
                      Instant.now(),
                      Instant.now(),
                      99,
                      99,
                      100,
                      "y".repeat(36)));
      assertTrue(record.length < 64 * 1024, type + " job of " + record.length + " bytes");
    }
  }
}
