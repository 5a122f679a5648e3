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
            4,
            "Hi",
            true,
            null,
            true,
            7L);
    JobRequest sent =
        new JobRequest(
            "run-2",
            JobType.SAMPLE,
            spec,
            Instant.parse("2026-01-01T00:00:00Z"),
            Instant.parse("2026-01-02T00:00:00Z"),
            0);

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
            "w",
            new JobEvent.CheckpointWritten(500, "file:///c", "ab", 10, Map.of("loss", 1.5)));
    String json = Json.mapper().writeValueAsString(sent);
    assertTrue(json.contains("\"kind\":\"checkpoint\""), json);
    assertEquals(sent, Json.mapper().readValue(json, JobEvent.class));
    assertTrue(json.contains("\"attempt\":2"), json);

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
}
