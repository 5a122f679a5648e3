package dev.bd3.jobs;

import java.util.ArrayList;
import java.util.List;

/**
 * A spec that reads a checkpoint: the user names a training run (and optionally a step) or a
 * checkpoint URI the gateway has recorded; the gateway resolves either to the checkpoint's URI
 * before the job is published, so a worker always gets {@link #checkpoint()}.
 */
public interface CheckpointRef {
  String trainRunId();

  Long checkpointStep();

  String checkpoint();

  /** How a submission may name its checkpoint: a run or a URI, not both; a step only with a run. */
  default List<SpecViolation> referenceViolations() {
    List<SpecViolation> violations = new ArrayList<>();
    if (checkpoint() == null && trainRunId() == null) {
      violations.add(new SpecViolation("trainRunId", "trainRunId or checkpoint is required"));
    } else if (checkpoint() != null && trainRunId() != null) {
      violations.add(new SpecViolation("checkpoint", "give checkpoint or trainRunId, not both"));
    } else if (checkpoint() != null && checkpoint().isBlank()) {
      violations.add(new SpecViolation("checkpoint", "must not be blank"));
    }
    if (checkpointStep() != null && trainRunId() == null) {
      violations.add(new SpecViolation("checkpointStep", "only goes with trainRunId"));
    }
    return violations;
  }
}
