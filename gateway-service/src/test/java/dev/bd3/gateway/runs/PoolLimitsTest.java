package dev.bd3.gateway.runs;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.gateway.problems.ProblemException;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.Json;
import dev.bd3.jobs.TrainSpec;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each pool's limits come from the environment's BD3_<TYPE>_* else from its JobType. */
class PoolLimitsTest {

  private static PoolLimits limits(Map<String, String> env) {
    return new PoolLimits(
        new SmallRyeConfigBuilder().withSources(new EnvConfigSource(env, 300)).build());
  }

  @Test
  void unsetPoolsKeepTheirJobTypesDefaults() {
    PoolLimits limits = limits(Map.of());
    for (JobType type : JobType.values()) {
      assertEquals(new PoolLimits.Limit(type.defaultMemory(), type.defaultWork()), limits.of(type));
    }
  }

  @Test
  void theEnvironmentSetsOnePoolsMemoryAndWork() {
    PoolLimits limits = limits(Map.of("BD3_TRAIN_MEMORY", "1G", "BD3_SAMPLE_WORK", "1e3"));
    assertEquals(1L << 30, limits.of(JobType.TRAIN).memory());
    assertEquals(JobType.TRAIN.defaultWork(), limits.of(JobType.TRAIN).work());
    assertEquals(1e3, limits.of(JobType.SAMPLE).work());
    assertEquals(JobType.EVAL.defaultMemory(), limits.of(JobType.EVAL).memory());
  }

  @Test
  void aJobOverItsPoolsLimitIsRefusedNamingTheSetting() throws Exception {
    TrainSpec job = Json.mapper().readValue("{}", TrainSpec.class);
    long needs = job.memory(job);
    assertDoesNotThrow(
        () ->
            limits(Map.of("BD3_TRAIN_MEMORY", String.valueOf(needs)))
                .admit(JobType.TRAIN, job, job));
    ProblemException refused =
        assertThrows(
            ProblemException.class,
            () ->
                limits(Map.of("BD3_TRAIN_MEMORY", String.valueOf(needs - 1)))
                    .admit(JobType.TRAIN, job, job));
    assertEquals(422, refused.status());
    assertTrue(refused.getMessage().contains("BD3_TRAIN_MEMORY"), refused.getMessage());
    ProblemException tooMuchWork =
        assertThrows(
            ProblemException.class,
            () -> limits(Map.of("BD3_TRAIN_WORK", "1")).admit(JobType.TRAIN, job, job));
    assertTrue(tooMuchWork.getMessage().contains("BD3_TRAIN_WORK"), tooMuchWork.getMessage());
  }
}
