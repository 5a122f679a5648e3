package dev.bd3.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bd3.cli.Bd3Client;
import dev.bd3.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The {@code bd3} command line against the real suite, run in-process as a user would type it:
 * train -> runs -> metrics -> eval -> sample, then the events of a finished run and a cancel that
 * comes too late.
 */
@ExtendWith(SharedSuite.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliRoundTripTest {
  private static final Duration JOB_LIMIT = Duration.ofMinutes(10);
  private static final String NAME = "cli-round-trip";

  private static String api;
  private static String keyFile;
  private static String trainId;

  /** What one command printed, and its exit code. */
  record Result(int exitCode, String out, String err) {
    String all() {
      return "exit " + exitCode + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
    }

    JsonNode json() {
      return Bd3Client.parse(out);
    }

    List<String> lines() {
      return out.isEmpty() ? List.of() : Arrays.asList(out.split("\\R"));
    }
  }

  @BeforeAll
  static void startSuite(Suite suite) {
    api = suite.api();
    keyFile = suite.adminKeyFile().toString();
  }

  @Test
  @Order(1)
  void submitTrainAndWait() {
    Result train =
        bd3(
            "submit",
            "train",
            "--preset",
            "micro",
            "--steps",
            "60",
            "--checkpoint-every",
            "30",
            "--seed",
            "3",
            "--name",
            NAME,
            "--wait");
    assertEquals(0, train.exitCode(), train.all());
    JsonNode run = train.json();
    assertEquals("SUCCEEDED", run.path("status").asText(), train.all());
    assertEquals(NAME, run.path("name").asText());
    assertEquals(60, run.path("spec").path("steps").asInt(), "typed option sent: " + run);
    assertEquals("micro", run.path("spec").path("preset").asText());
    assertEquals(2, run.path("checkpoints").size(), "checkpoints at 30 and 60: " + run);
    assertTrue(train.err().contains("60/60"), "progress on stderr:\n" + train.err());
    trainId = run.path("id").asText();
  }

  @Test
  @Order(2)
  void runsListsIt() {
    assumeTrue(trainId != null, "the training run");
    Result runs = bd3("runs", "--type", "train");
    assertEquals(0, runs.exitCode(), runs.all());
    assertTrue(runs.lines().get(0).matches("ID\\s+TYPE\\s+STATUS\\s+NAME\\s+CREATED\\s+PROGRESS"));
    String line = runs.lines().stream().filter(l -> l.startsWith(trainId)).findFirst().orElse(null);
    assertNotNull(line, trainId + " listed:\n" + runs.out());
    assertTrue(
        line.matches(".*\\btrain\\s+SUCCEEDED\\s+" + NAME + "\\s+.*\\s60/60 100%"),
        "its row: " + line);
    for (String row : runs.lines().subList(1, runs.lines().size())) {
      assertEquals("train", row.split("\\s+")[1], "--type train only: " + row);
    }
  }

  @Test
  @Order(3)
  void metricsByName() {
    assumeTrue(trainId != null, "the training run");
    Result metrics = bd3("metrics", trainId, "--name", "loss");
    assertEquals(0, metrics.exitCode(), metrics.all());
    List<String> lines = metrics.lines();
    assertTrue(lines.get(0).matches("NAME\\s+STEP\\s+VALUE"), metrics.out());
    assertTrue(lines.size() >= 2, "loss points:\n" + metrics.out());
    for (String row : lines.subList(1, lines.size())) {
      String[] cells = row.split("\\s+");
      assertEquals("loss", cells[0], "only the loss series: " + row);
      double loss = Double.parseDouble(cells[2]);
      assertTrue(Double.isFinite(loss) && loss > 0, row);
    }
  }

  @Test
  @Order(4)
  void submitEvalAndWait() {
    assumeTrue(trainId != null, "the training run");
    Result eval =
        bd3("submit", "eval", "--train-run-id", trainId, "--max-sequences", "8", "--wait");
    assertEquals(0, eval.exitCode(), eval.all());
    JsonNode run = eval.json();
    assertEquals("SUCCEEDED", run.path("status").asText());
    assertEquals(8, run.path("spec").path("maxSequences").asInt());
    boolean ppl = false;
    for (JsonNode result : run.path("evalResults")) {
      if (result.path("metric").asText().equals("ppl")) {
        ppl = true;
        assertTrue(result.path("value").asDouble() > 1, "perplexity " + result);
      }
    }
    assertTrue(ppl, "a perplexity: " + run);
  }

  @Test
  @Order(5)
  void submitSampleAndWait() {
    assumeTrue(trainId != null, "the training run");
    Result sample =
        bd3(
            "submit",
            "sample",
            "--train-run-id",
            trainId,
            "--num-samples",
            "1",
            "--max-tokens",
            "16",
            "--wait");
    assertEquals(0, sample.exitCode(), sample.all());
    JsonNode samples = sample.json().path("samples");
    assertEquals(1, samples.size(), sample.out());
    int tokens = samples.get(0).path("tokens").asInt();
    assertTrue(tokens > 0 && tokens <= 16, "tokens: " + tokens);
  }

  @Test
  @Order(6)
  void eventsOfAFinishedRunAreItsRunEventThenTheEnd() {
    assumeTrue(trainId != null, "the training run");
    Result events = bd3("events", trainId);
    assertEquals(0, events.exitCode(), events.all());
    assertEquals(1, events.lines().size(), "one event:\n" + events.out());
    String line = events.lines().get(0);
    assertTrue(line.startsWith("run {"), line);
    JsonNode run = Bd3Client.parse(line.substring("run ".length()));
    assertEquals(trainId, run.path("id").asText());
    assertEquals("SUCCEEDED", run.path("status").asText());
  }

  @Test
  @Order(7)
  void cancelOfAFinishedRunIsAConflict() {
    assumeTrue(trainId != null, "the training run");
    Result cancel = bd3("cancel", trainId);
    assertEquals(1, cancel.exitCode(), cancel.all());
    assertEquals("", cancel.out());
    assertTrue(cancel.err().startsWith("bd3: Conflict (409): "), cancel.all());
    assertTrue(cancel.err().contains("has already ended"), cancel.all());
    assertFalse(cancel.err().contains("Exception"), cancel.all());
  }

  @Test
  @Order(8)
  void anInvalidSpecNamesTheField() {
    Result invalid = bd3("submit", "train", "--steps", "0");
    assertEquals(1, invalid.exitCode(), invalid.all());
    assertTrue(invalid.err().contains("(400)"), invalid.all());
    assertTrue(invalid.err().contains("\n  spec.steps: "), invalid.all());
  }

  @Test
  @Order(9)
  void waitAndGetOfAFinishedRun() {
    assumeTrue(trainId != null, "the training run");
    Result wait = bd3("wait", trainId);
    assertEquals(0, wait.exitCode(), wait.all());
    assertEquals("SUCCEEDED", wait.lines().get(wait.lines().size() - 1));
    Result get = bd3("get", trainId);
    assertEquals(0, get.exitCode(), get.all());
    assertEquals(trainId, get.json().path("id").asText());
  }

  /**
   * A corpus of one's own: uploaded, trained on, and evaluated on its held-out split, which the
   * evaluator finds again from the checkpoint's record of the dataset (its id and sha256).
   */
  @Test
  @Order(10)
  void trainAndEvaluateOnAnUploadedDataset(@TempDir Path dir) throws Exception {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 200; i++) {
      text.append("Paragraph ")
          .append(i)
          .append(": the quick brown fox jumps over the lazy dog ")
          .append(i % 7)
          .append(" times.\n\n");
    }
    Path file = Files.writeString(dir.resolve("fox.txt"), text);
    String sha =
        HexFormat.of()
            .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    // a new name each run: a new dataset, the newest in the list (the same text is stored once)
    String name = "fox-" + UUID.randomUUID();
    Result upload = bd3("datasets", "upload", file.toString(), "--name", name);
    assertEquals(0, upload.exitCode(), upload.all());
    String id = upload.out().strip();
    assertTrue(upload.err().contains("200 documents, sha256 " + sha), upload.all());
    Result list = bd3("datasets");
    assertTrue(list.out().contains(id), list.all());

    Result train =
        bd3("submit", "train", "--preset", "micro", "--steps", "10", "--corpus", id, "--wait");
    assertEquals(0, train.exitCode(), train.all());
    JsonNode run = train.json();
    assertEquals("SUCCEEDED", run.path("status").asText(), train.all());
    assertEquals(sha, run.path("spec").path("corpusSha256").asText(), "pinned by the gateway");
    Result delete = bd3("datasets", "delete", id);
    assertEquals(1, delete.exitCode(), "a run names it: " + delete.all());
    assertTrue(delete.err().contains(run.path("id").asText()), delete.all());

    Result eval =
        bd3(
            "submit",
            "eval",
            "--train-run-id",
            run.path("id").asText(),
            "--max-sequences",
            "4",
            "--wait");
    assertEquals(0, eval.exitCode(), eval.all());
    assertEquals("SUCCEEDED", eval.json().path("status").asText(), eval.all());
  }

  /** {@code bd3 --api <the suite's gateway> args...}, in this JVM, within the job limit. */
  private static Result bd3(String... args) {
    List<String> all = new ArrayList<>(List.of("--api", api, "--key-file", keyFile));
    all.addAll(List.of(args));
    return assertTimeoutPreemptively(
        JOB_LIMIT,
        () -> {
          CommandLine commandLine = Main.commandLine();
          StringWriter out = new StringWriter();
          StringWriter err = new StringWriter();
          commandLine.setOut(new PrintWriter(out, true));
          commandLine.setErr(new PrintWriter(err, true));
          int exitCode = commandLine.execute(all.toArray(String[]::new));
          return new Result(exitCode, out.toString(), err.toString());
        },
        () -> "bd3 " + String.join(" ", args) + " took longer than " + JOB_LIMIT);
  }
}
