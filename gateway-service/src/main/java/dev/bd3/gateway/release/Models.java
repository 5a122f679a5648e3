package dev.bd3.gateway.release;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.bd3.gateway.AdvisoryLock;
import dev.bd3.gateway.auth.Caller;
import dev.bd3.gateway.problems.ProblemException;
import dev.bd3.gateway.runs.CheckpointRecord;
import dev.bd3.gateway.runs.Run;
import dev.bd3.jobs.CodeVersion;
import dev.bd3.jobs.Json;
import dev.bd3.jobs.TrainSpec;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.util.Optional;

/**
 * The records of imported models: each a training run that ended before it was recorded (SUCCEEDED,
 * its spec describing the model) with one checkpoint at step 0, which eval and sample jobs name as
 * they name any training run's. The same weights are one run, whoever imports them.
 */
@ApplicationScoped
public class Models {
  @Inject Caller caller;
  @Inject EntityManager em;

  /** The run of an import; {@code created} is false when these weights were imported before. */
  public record Recorded(Run run, boolean created) {}

  /**
   * The run these weights were imported as, if they were. They must have come with the same config:
   * the same weights read as another model are a 409, not a second run.
   */
  @Transactional
  public Optional<Run> importedAs(ModelStore.Checked checked) {
    Optional<Run> first = Run.findImported(checked.sha256());
    first.ifPresent(
        run -> {
          if (!run.trainSpec().equals(checked.spec().resolved())) {
            throw ProblemException.conflict(
                "this model.safetensors (sha256 "
                    + checked.sha256()
                    + ") was imported as run "
                    + run.id
                    + " with another config.json: "
                    + run.spec);
          }
        });
    return first;
  }

  /**
   * Records an import whose checkpoint {@code written} holds, unless the same weights were recorded
   * meanwhile (imports of one file take turns): then theirs is the run, and {@code written} the
   * caller's to remove.
   */
  @Transactional
  public Recorded record(ModelStore.Checked checked, ModelStore.Written written, String name) {
    AdvisoryLock.hold(em, "model import " + checked.sha256());
    Optional<Run> first = importedAs(checked);
    if (first.isPresent()) {
      return new Recorded(first.get(), false);
    }
    Run run = Run.imported(written.runId(), name, json(checked.spec()), checked.sha256());
    run.owner = caller.name();
    run.codeVersion = CodeVersion.current();
    run.persist();
    CheckpointRecord checkpoint = new CheckpointRecord();
    checkpoint.runId = run.id;
    checkpoint.step = 0;
    checkpoint.uri = written.uri();
    checkpoint.sha256 = written.sha256();
    checkpoint.bytes = written.bytes();
    checkpoint.metrics = "{}";
    checkpoint.createdAt = run.createdAt;
    checkpoint.persist();
    return new Recorded(run, true);
  }

  private static String json(TrainSpec spec) {
    try {
      return Json.mapper().writeValueAsString(spec);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
