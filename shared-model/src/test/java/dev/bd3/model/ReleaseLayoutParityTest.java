package dev.bd3.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bd3.model.diffusion.ClippedSchedule;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.release.ReleaseCheckpoint;
import dev.bd3.model.spec.release.ReleaseConfig;
import dev.bd3.model.spec.release.ReleaseLayout;
import dev.bd3.model.train.Checkpoint;
import dev.bd3.model.train.CheckpointMeta;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gateway's conversion between our checkpoints and the release layout (shared-jobs'
 * ReleaseLayout, bytes only) against the model library's own readers and writers: a folder it
 * imports is the model ReleaseCheckpoint reads from that folder, a checkpoint the trainer saved
 * exports to a folder ReleaseCheckpoint reads as the same model, and the meta.json it writes is
 * what Jackson writes for CheckpointMeta.
 */
class ReleaseLayoutParityTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @ParameterizedTest
  @ValueSource(strings = {"bd3lm", "ar"})
  void anImportedCheckpointIsTheModelOfItsFolder(String fixture, @TempDir Path dir)
      throws Exception {
    Path folder = reference(fixture);
    ReleaseLayout.Release release =
        ReleaseLayout.check(
            ReleaseCheckpoint.config(folder), folder.resolve(ReleaseCheckpoint.WEIGHTS));
    Path file = Checkpoint.fileFor(dir, 0);
    try (OutputStream out = Files.newOutputStream(file)) {
      release.writeCheckpoint("europarl", null, out);
    }
    try (NDManager m = Fixtures.manager()) {
      ReleaseCheckpoint.Loaded theirs = ReleaseCheckpoint.read(folder, m);
      Checkpoint ours = Checkpoint.read(file, m);
      assertEquals(theirs.model().config(), ours.meta().model());
      assertEquals(theirs.schedule(), ours.meta().schedule());
      assertEquals("europarl", ours.meta().corpus());
      assertTrue(ours.optimizer().isEmpty(), "no optimiser state");
      for (boolean ema : new boolean[] {true, false}) {
        assertSameWeights(theirs.model(), ours.model(m, ema));
      }
    }
  }

  @Test
  void aSavedCheckpointExportsToAFolderOfTheSameModel(@TempDir Path dir) throws Exception {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(ModelConfig.micro(), m, 5);
      NDList weights = new NDList();
      model.parameterList().forEach(p -> weights.add(p.getArray()));
      CheckpointMeta meta =
          new CheckpointMeta(
              CheckpointMeta.FORMAT,
              40,
              ModelConfig.micro(),
              new ClippedSchedule(0.45, 0.95),
              5,
              40,
              40,
              "europarl",
              null,
              Map.of("val_nelbo", 2.0));
      Path saved = Checkpoint.save(dir.resolve("run"), meta, weights, weights, new NDList()).path();

      ByteArrayOutputStream zip = new ByteArrayOutputStream();
      ReleaseLayout.export(saved).writeTo(zip);
      Path folder = Files.createDirectories(dir.resolve("release"));
      try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip.toByteArray()))) {
        for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
          Files.write(folder.resolve(e.getName()), in.readAllBytes());
        }
      }
      ReleaseCheckpoint.Loaded back = ReleaseCheckpoint.read(folder, m);
      assertEquals(meta.model(), back.model().config());
      assertEquals(meta.schedule(), back.schedule());
      assertEquals("bytes", back.tokenizer());
      assertSameWeights(model, back.model());
    }
  }

  /** The workers read meta.json with Jackson: ours must be theirs, field for field. */
  @ParameterizedTest
  @ValueSource(strings = {"bd3lm", "ar"})
  void theMetaWrittenIsWhatJacksonWritesForCheckpointMeta(String fixture) throws Exception {
    Path folder = reference(fixture);
    ReleaseConfig config = ReleaseCheckpoint.config(folder);
    ReleaseLayout.Release release =
        ReleaseLayout.check(config, folder.resolve(ReleaseCheckpoint.WEIGHTS));
    CheckpointMeta theirs =
        new CheckpointMeta(
            CheckpointMeta.FORMAT,
            0,
            ReleaseCheckpoint.model(config),
            new ClippedSchedule(release.low(), release.high()),
            0,
            0,
            0,
            "europarl",
            "ab",
            Map.of("val_nelbo", 2.0));
    ReleaseLayout.Meta ours =
        new ReleaseLayout.Meta(
            ReleaseLayout.Meta.FORMAT,
            0,
            release.model(),
            new ReleaseLayout.Schedule(release.low(), release.high()),
            0,
            0,
            0,
            "europarl",
            "ab",
            Map.of("val_nelbo", 2.0));
    assertEquals(JSON.valueToTree(theirs), JSON.valueToTree(ours));
  }

  private static void assertSameWeights(Bd3Lm expected, Bd3Lm actual) {
    List<Parameter> a = expected.parameterList();
    List<Parameter> b = actual.parameterList();
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(
          a.get(i).getArray().toFloatArray(), b.get(i).getArray().toFloatArray(), "" + i);
    }
  }

  private static Path reference(String fixture) throws URISyntaxException {
    return Path.of(ReleaseLayoutParityTest.class.getResource("/reference/" + fixture).toURI());
  }
}
