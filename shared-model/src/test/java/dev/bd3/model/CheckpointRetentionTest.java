package dev.bd3.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.train.Checkpoint;
import dev.bd3.model.train.CheckpointMeta;
import dev.bd3.model.train.CheckpointRetention;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointRetentionTest {

  /** A checkpoint file holding only its metadata: what retention reads. */
  private static void checkpoint(Path dir, long step, double valNelbo) throws Exception {
    CheckpointMeta meta =
        new CheckpointMeta(
            CheckpointMeta.FORMAT,
            step,
            ModelConfig.micro(),
            ClippedSchedule.FULL,
            0,
            step,
            step,
            "europarl",
            "x",
            Map.of("val_nelbo", valNelbo));
    try (OutputStream out =
            Files.newOutputStream(dir.resolve(String.format("step-%08d.ckpt", step)));
        ZipOutputStream zip = new ZipOutputStream(out)) {
      zip.putNextEntry(new ZipEntry("meta.json"));
      zip.write(new ObjectMapper().writeValueAsBytes(meta));
      zip.closeEntry();
    }
  }

  @Test
  void keepsTheNewestAndTheBest(@TempDir Path dir) throws Exception {
    double[] nelbo = {3.0, 2.0, 2.5, 2.6, 2.7};
    for (int i = 0; i < nelbo.length; i++) {
      checkpoint(dir, 100L * (i + 1), nelbo[i]);
    }
    List<Long> removed = new CheckpointRetention(2).prune(dir);
    assertEquals(List.of(100L, 300L), removed);
    assertEquals(
        List.of(200L, 400L, 500L), Checkpoint.all(dir).stream().map(Checkpoint::stepOf).toList());
    assertEquals(List.of(), new CheckpointRetention(2).prune(dir), "nothing more to remove");
    assertThrows(IllegalArgumentException.class, () -> new CheckpointRetention(0));
  }
}
