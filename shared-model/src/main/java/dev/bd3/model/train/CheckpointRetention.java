package dev.bd3.model.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Which checkpoints of a run stay on disk: the newest {@code keep} (resume reads the newest) and
 * the one with the lowest validation NELBO (the best model so far). The others are deleted.
 *
 * @param keep newest checkpoints kept, at least 1
 */
public record CheckpointRetention(int keep) {
  public CheckpointRetention {
    if (keep < 1) {
      throw new IllegalArgumentException("keep at least the newest checkpoint");
    }
  }

  /**
   * Deletes the checkpoints in {@code dir} that are neither new enough nor the best; their steps.
   */
  public List<Long> prune(Path dir) {
    List<Path> all = Checkpoint.all(dir); // oldest first
    if (all.size() <= keep) {
      return List.of();
    }
    Optional<Path> best =
        all.stream()
            .filter(p -> Checkpoint.readMeta(p).metrics().containsKey("val_nelbo"))
            .min(
                Comparator.comparingDouble(p -> Checkpoint.readMeta(p).metrics().get("val_nelbo")));
    List<Long> removed = new ArrayList<>();
    for (Path p : all.subList(0, all.size() - keep)) {
      if (best.isPresent() && best.get().equals(p)) {
        continue;
      }
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      removed.add(Checkpoint.stepOf(p));
    }
    return removed;
  }
}
