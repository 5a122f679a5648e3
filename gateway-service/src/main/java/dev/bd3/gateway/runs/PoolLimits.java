package dev.bd3.gateway.runs;

import dev.bd3.gateway.problems.ProblemException;
import dev.bd3.jobs.JobSpec;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.TrainSpec;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.eclipse.microprofile.config.Config;

/**
 * What a worker of each pool can hold and should take on: {@code bd3.<type>.memory} and {@code
 * bd3.<type>.work} (in the environment {@code BD3_TRAIN_MEMORY}, {@code BD3_TRAIN_WORK}, ...),
 * defaulting to the {@link JobType}'s. A job whose estimate ({@link JobSpec#memory}, {@link
 * JobSpec#work}) is larger is refused with 422 naming the setting: no worker of the pool could run
 * it.
 */
@ApplicationScoped
public class PoolLimits {
  private static final double GIB = 1024.0 * 1024 * 1024;

  /** One pool's limits. */
  record Limit(long memory, double work) {}

  private final Map<JobType, Limit> limits = new EnumMap<>(JobType.class);

  @Inject
  PoolLimits(Config config) {
    MemorySizeConverter sizes = new MemorySizeConverter();
    for (JobType type : JobType.values()) {
      long memory =
          config
              .getOptionalValue(setting(type, "memory"), String.class)
              .map(sizes::convert)
              .map(MemorySize::asLongValue)
              .orElse(type.defaultMemory());
      double work =
          config.getOptionalValue(setting(type, "work"), Double.class).orElse(type.defaultWork());
      limits.put(type, new Limit(memory, work));
    }
  }

  /** The limits of {@code type}'s pool. */
  Limit of(JobType type) {
    return limits.get(type);
  }

  /** Refuses (422) a job of {@code type} larger than its pool's limits. */
  void admit(JobType type, JobSpec spec, TrainSpec model) {
    Limit limit = of(type);
    String env = "BD3_" + type.name() + "_";
    long memory = spec.memory(model);
    if (memory > limit.memory()) {
      throw overLimit(
          "needs about %.1f GiB of memory; a %s worker holds %.1f GiB (%sMEMORY)",
          memory / GIB, type.json(), limit.memory() / GIB, env);
    }
    double work = spec.work(model);
    if (work > limit.work()) {
      throw overLimit(
          "processes about %.3g tokens; a %s job may process %.3g (%sWORK)",
          work, type.json(), limit.work(), env);
    }
  }

  private static ProblemException overLimit(String format, Object... args) {
    return ProblemException.overLimit(String.format(Locale.ROOT, format, args), "spec");
  }

  private static String setting(JobType type, String what) {
    return "bd3." + type.json() + "." + what;
  }
}
