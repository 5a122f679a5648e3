package dev.bd3.model.train;

import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.spec.release.ReleaseLayout;
import java.util.Map;

/**
 * What a checkpoint says about itself (its {@code meta.json}): the model's shape, how far training
 * got, the noise interval in use (chosen by the schedule search when enabled) and the data.
 */
public record CheckpointMeta(
    int format,
    long step,
    ModelConfig model,
    ClippedSchedule schedule,
    long seed,
    long optimizerUpdates,
    long emaUpdates,
    String corpus,
    String corpusSha256,
    Map<String, Double> metrics) {
  /** The format whose layout {@link ReleaseLayout.Meta} mirrors for the gateway. */
  public static final int FORMAT = ReleaseLayout.Meta.FORMAT;
}
