package dev.bd3.cli;

import static dev.bd3.cli.FakeGateway.Answer.json;
import static dev.bd3.cli.FakeGateway.Answer.problem;
import static dev.bd3.cli.FakeGateway.view;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each command against a fake gateway on a real HTTP server: what it sends, prints and exits. */
class CommandsTest {
  private static final String VALIDATION_PROBLEM =
      "{\"type\":\"urn:bd3:problem:validation\",\"title\":\"Invalid request\",\"status\":400,"
          + "\"detail\":\"spec.steps: must be greater than or equal to 1\","
          + "\"errors\":[{\"field\":\"spec.steps\",\"message\":\"must be greater than or equal to"
          + " 1\"}]}";
  private static final String CONFLICT_PROBLEM =
      "{\"type\":\"urn:bd3:problem:conflict\",\"title\":\"Conflict\",\"status\":409,"
          + "\"detail\":\"run r9 has already ended: SUCCEEDED\"}";

  private FakeGateway gateway;

  @BeforeEach
  void start() throws IOException {
    gateway = new FakeGateway();
  }

  @AfterEach
  void stop() {
    gateway.close();
  }

  @Test
  void getPrintsTheRunAsJson() {
    gateway.on(
        "GET", "/api/v1/runs/r1", json(200, view("r1", "train", "RUNNING", 3, 10).toString()));
    Cli.Result result = Cli.run(gateway.uri(), "get", "r1");
    assertEquals(0, result.exitCode(), result.all());
    assertEquals("r1", Bd3Client.parse(result.out()).path("id").asText());
    assertTrue(result.out().contains("\n  \"id\" : \"r1\""), "pretty: " + result.out());
  }

  @Test
  void getOfAnUnknownRunIs404() {
    Cli.Result result = Cli.run(gateway.uri(), "get", "nope");
    assertEquals(1, result.exitCode(), result.all());
    assertTrue(result.err().contains("Not found (404): no route"), result.all());
  }

  @Test
  void submitSendsTypeNameSpecAndKey() {
    gateway.on("POST", "/api/v1/runs", json(201, view("r2", "train", "QUEUED", 0, 0).toString()));
    Cli.Result result =
        Cli.run(
            gateway.uri(),
            "submit",
            "train",
            "--block-size",
            "4",
            "--steps",
            "10",
            "--spec",
            "{\"seed\":1}",
            "--name",
            "bd3-4",
            "--idempotency-key",
            "key-1");
    assertEquals(0, result.exitCode(), result.all());
    assertEquals("r2", Bd3Client.parse(result.out()).path("id").asText());
    FakeGateway.Request sent = gateway.last("/api/v1/runs");
    assertEquals(
        Bd3Client.parse(
            "{\"type\":\"train\",\"name\":\"bd3-4\",\"spec\":{\"blockSize\":4,\"steps\":10,"
                + "\"seed\":1}}"),
        Bd3Client.parse(sent.body()));
    assertEquals("key-1", sent.header("Idempotency-Key"));
    assertEquals("application/json", sent.header("Content-type"));
  }

  @Test
  void aProblemIsPrintedReadablyWithExit1() {
    gateway.on("POST", "/api/v1/runs", problem(400, VALIDATION_PROBLEM));
    Cli.Result result = Cli.run(gateway.uri(), "submit", "train", "--steps", "0");
    assertEquals(1, result.exitCode(), result.all());
    assertEquals("", result.out());
    assertTrue(
        result.err().contains("Invalid request (400): spec.steps: must be greater"), result.all());
    assertTrue(
        result.err().contains("\n  spec.steps: must be greater than or equal to 1"), result.all());
  }

  @Test
  void submitAndWaitPrintsTheFinishedRun() {
    gateway.on("POST", "/api/v1/runs", json(201, view("r3", "eval", "QUEUED", 0, 0).toString()));
    gateway.onInTurn(
        "GET",
        "/api/v1/runs/r3",
        json(200, view("r3", "eval", "RUNNING", 1, 8).toString()),
        json(200, view("r3", "eval", "SUCCEEDED", 8, 8).toString()));
    Cli.Result result = Cli.run(gateway.uri(), "submit", "eval", "--train-run-id", "r1", "--wait");
    assertEquals(0, result.exitCode(), result.all());
    assertEquals("SUCCEEDED", Bd3Client.parse(result.out()).path("status").asText());
    assertTrue(result.err().contains("1/8"), "progress on stderr: " + result.all());
  }

  @Test
  void waitShowsProgressAndEndsWithTheStatus() {
    gateway.onInTurn(
        "GET",
        "/api/v1/runs/r4",
        json(200, view("r4", "train", "QUEUED", 0, 0).toString()),
        json(200, view("r4", "train", "RUNNING", 3, 10).toString()),
        json(200, view("r4", "train", "RUNNING", 3, 10).toString()),
        json(200, view("r4", "train", "SUCCEEDED", 10, 10).toString()));
    Cli.Result result = Cli.run(gateway.uri(), "wait", "r4");
    assertEquals(0, result.exitCode(), result.all());
    assertEquals(
        String.join(
            "\n",
            "QUEUED",
            "[#########.....................] 3/10  30%  ETA 1m01s  RUNNING",
            "[##############################] 10/10 100%  SUCCEEDED",
            "SUCCEEDED",
            ""),
        result.out());
  }

  @Test
  void waitForAFailedRunExits1WithItsError() {
    ObjectNode failed = view("r5", "sample", "FAILED", 1, 4).put("error", "out of memory");
    gateway.on("GET", "/api/v1/runs/r5", json(200, failed.toString()));
    Cli.Result result = Cli.run(gateway.uri(), "wait", "r5");
    assertEquals(1, result.exitCode(), result.all());
    assertTrue(result.out().endsWith("FAILED\n"), result.all());
    assertTrue(result.err().contains("run r5 FAILED: out of memory"), result.all());
  }

  @Test
  void waitForACancelledRunExits1() {
    gateway.on(
        "GET", "/api/v1/runs/r6", json(200, view("r6", "train", "CANCELLED", 2, 4).toString()));
    assertEquals(1, Cli.run(gateway.uri(), "wait", "r6").exitCode());
  }

  @Test
  void cancelPrintsTheRun() {
    gateway.on(
        "POST",
        "/api/v1/runs/r7/cancel",
        json(202, view("r7", "train", "RUNNING", 2, 4).toString()));
    Cli.Result result = Cli.run(gateway.uri(), "cancel", "r7");
    assertEquals(0, result.exitCode(), result.all());
    assertEquals("r7", Bd3Client.parse(result.out()).path("id").asText());
  }

  @Test
  void cancelOfAFinishedRunIsAConflict() {
    gateway.on("POST", "/api/v1/runs/r9/cancel", problem(409, CONFLICT_PROBLEM));
    Cli.Result result = Cli.run(gateway.uri(), "cancel", "r9");
    assertEquals(1, result.exitCode(), result.all());
    assertEquals(
        "bd3: Conflict (409): run r9 has already ended: SUCCEEDED\n", result.err(), result.all());
  }

  @Test
  void runsIsATableFilteredByTheGateway() {
    ArrayNode runs = Bd3Client.object().arrayNode();
    runs.add(view("r10", "train", "RUNNING", 120, 300));
    ObjectNode queued = view("r11", "train", "QUEUED", 0, 0);
    queued.putNull("progress");
    queued.putNull("name");
    runs.add(queued);
    gateway.on("GET", "/api/v1/runs", json(200, runs.toString()));
    Cli.Result result =
        Cli.run(gateway.uri(), "runs", "--type", "train", "--status", "RUNNING", "--limit", "2");
    assertEquals(0, result.exitCode(), result.all());
    assertEquals("type=train&status=RUNNING&limit=2", gateway.last("/api/v1/runs").query());
    String created = RunsCommand.CREATED.format(Instant.parse("2025-03-01T10:00:00Z"));
    String[] lines = result.out().split("\n");
    assertEquals(3, lines.length, result.out());
    assertEquals("ID   TYPE   STATUS   NAME       CREATED              PROGRESS", lines[0]);
    assertEquals("r10  train  RUNNING  label-r10  " + created + "  120/300 40%", lines[1]);
    assertEquals("r11  train  QUEUED   -          " + created + "  -", lines[2]);
  }

  @Test
  void runsWithoutFiltersSendsNoQuery() {
    gateway.on("GET", "/api/v1/runs", json(200, "[]"));
    Cli.Result result = Cli.run(gateway.uri(), "runs");
    assertEquals(0, result.exitCode(), result.all());
    assertEquals(null, gateway.last("/api/v1/runs").query());
    assertEquals("ID  TYPE  STATUS  NAME  CREATED  PROGRESS\n", result.out());
  }

  @Test
  void metricsByName() {
    gateway.on(
        "GET",
        "/api/v1/runs/r12/metrics",
        json(
            200,
            "[{\"name\":\"loss\",\"step\":10,\"value\":5.5,\"time\":\"2025-03-01T10:00:00Z\"},"
                + "{\"name\":\"loss\",\"step\":20,\"value\":4.25,\"time\":\"2025-03-01T10:00:01Z\"}]"));
    Cli.Result result = Cli.run(gateway.uri(), "metrics", "r12", "--name", "loss");
    assertEquals(0, result.exitCode(), result.all());
    assertEquals("name=loss", gateway.last("/api/v1/runs/r12/metrics").query());
    assertEquals("NAME  STEP  VALUE\nloss  10    5.5\nloss  20    4.25\n", result.out());
  }

  @Test
  void deadLettersAreListedAndReplayed() {
    gateway.on(
        "GET",
        "/api/v1/dead-letters",
        json(
            200,
            "[{\"partition\":0,\"offset\":7,\"time\":\"2025-03-01T10:00:00Z\",\"key\":\"r9\","
                + "\"topic\":\"bd3.jobs.train\",\"reason\":\"FAILED: bad\",\"payload\":\"{}\"}]"));
    Cli.Result listed = Cli.run(gateway.uri(), "dead-letters", "--limit", "5");
    assertEquals(0, listed.exitCode(), listed.all());
    assertEquals("limit=5", gateway.last("/api/v1/dead-letters").query());
    String row = listed.out().lines().skip(1).findFirst().orElse("");
    for (String column : new String[] {"0", "7", "r9", "bd3.jobs.train", "FAILED: bad"}) {
      assertTrue(row.contains(column), column + " in " + row);
    }

    gateway.on(
        "POST",
        "/api/v1/dead-letters/0/7/replay",
        json(200, "{\"partition\":0,\"offset\":7,\"key\":\"r9\",\"topic\":\"bd3.jobs.train\"}"));
    Cli.Result replayed = Cli.run(gateway.uri(), "dead-letters", "replay", "0", "7");
    assertEquals(0, replayed.exitCode(), replayed.all());
    assertEquals("replayed to bd3.jobs.train: \"r9\"\n", replayed.out());
  }

  @Test
  void keysAreMadeListedAndRevokedWithTheKeyFromItsFile(@TempDir Path dir) throws Exception {
    Path keyFile = Files.writeString(dir.resolve("admin-key"), "bd3_secret-admin\n");
    gateway.on(
        "POST",
        "/api/v1/keys",
        json(201, "{\"info\":{\"id\":\"k1\",\"name\":\"alice\"},\"key\":\"bd3_new\"}"));
    Cli.Result made =
        Cli.run(
            gateway.uri(),
            "--key-file",
            keyFile.toString(),
            "keys",
            "create",
            "alice",
            "--role",
            "submitter",
            "--role",
            "reader");
    assertEquals(0, made.exitCode(), made.all());
    assertEquals("bd3_new\n", made.out(), "only the key on stdout: it can be piped to a file");
    FakeGateway.Request create = gateway.last("/api/v1/keys");
    assertEquals("Bearer bd3_secret-admin", create.header("Authorization"));
    assertEquals(
        Bd3Client.parse("{\"name\":\"alice\",\"roles\":[\"submitter\",\"reader\"]}"),
        Bd3Client.parse(create.body()));

    gateway.on(
        "GET",
        "/api/v1/keys",
        json(
            200,
            "[{\"id\":\"k1\",\"name\":\"alice\",\"roles\":[\"reader\",\"submitter\"],"
                + "\"prefix\":\"bd3_abcd\",\"createdAt\":\"2026-11-28T10:00:00Z\"}]"));
    Cli.Result listed = Cli.run(gateway.uri(), "--key-file", keyFile.toString(), "keys");
    assertEquals(0, listed.exitCode(), listed.all());
    String row = listed.out().lines().skip(1).findFirst().orElse("");
    for (String column : new String[] {"k1", "alice", "reader,submitter", "bd3_abcd"}) {
      assertTrue(row.contains(column), column + " in " + row);
    }

    gateway.on(
        "DELETE",
        "/api/v1/keys/k1",
        json(200, "{\"id\":\"k1\",\"name\":\"alice\",\"prefix\":\"bd3_abcd\"}"));
    Cli.Result revoked =
        Cli.run(gateway.uri(), "--key-file", keyFile.toString(), "keys", "revoke", "k1");
    assertEquals(0, revoked.exitCode(), revoked.all());
    assertEquals("revoked alice bd3_abcd\n", revoked.out());
  }

  @Test
  void aRefusedKeySaysHowToSignIn() {
    gateway.on(
        "GET",
        "/api/v1/runs",
        FakeGateway.Answer.problem(
            401,
            "{\"title\":\"Unauthorized\",\"status\":401,\"detail\":\"send a valid API key\"}"));
    Cli.Result result = Cli.run(gateway.uri(), "runs");
    assertEquals(1, result.exitCode(), result.all());
    assertTrue(result.err().contains("BD3_API_KEY"), result.err());
    assertEquals(null, gateway.last("/api/v1/runs").header("Authorization"), "no key, no header");
  }

  @Test
  void eventsPrintsOneLinePerEventUntilTheStreamEnds() {
    String stream =
        ": keep-alive\n\n"
            + "event: run\ndata: {\"id\":\"r13\",\"status\":\"RUNNING\"}\n\n"
            + "event: progress\ndata: {\"step\":5}\n\n"
            + "event: status\ndata: {\"status\":\"SUCCEEDED\"}\n\n";
    gateway.on(
        "GET", "/api/v1/runs/r13/events", new FakeGateway.Answer(200, "text/event-stream", stream));
    Cli.Result result = Cli.run(gateway.uri(), "logs", "r13");
    assertEquals(0, result.exitCode(), result.all());
    assertEquals(
        "run {\"id\":\"r13\",\"status\":\"RUNNING\"}\n"
            + "progress {\"step\":5}\n"
            + "status {\"status\":\"SUCCEEDED\"}\n",
        result.out());
    assertEquals("text/event-stream", gateway.last("/api/v1/runs/r13/events").header("Accept"));
  }

  @Test
  void generatePrintsTheStreamedCompletionAsItComes() throws Exception {
    String stream =
        "data: {\"choices\":[{\"text\":\"Hel\",\"index\":0,\"finish_reason\":null}]}\n\n"
            + "data: {\"choices\":[{\"text\":\"lo.\",\"index\":0,\"finish_reason\":\"stop\"}]}\n\n"
            + "data: {\"choices\":[],\"usage\":{\"completion_tokens\":6,\"model_calls\":4,"
            + "\"blocks\":2}}\n\n"
            + "data: [DONE]\n\n";
    gateway.on("POST", "/v1/completions", new FakeGateway.Answer(200, "text/event-stream", stream));
    Cli.Result result =
        Cli.run(
            gateway.uri(), "generate", "my-model", "Say: ", "--max-tokens", "6", "--stop", "\n");
    assertEquals(0, result.exitCode(), result.all());
    assertEquals("Say: Hello.\n", result.out());
    assertTrue(result.err().contains("6 tokens, 4 model calls, 2 blocks"), result.all());
    JsonNode sent = Bd3Client.parse(gateway.last("/v1/completions").body());
    assertEquals("my-model", sent.path("model").asText());
    assertEquals(true, sent.path("stream").asBoolean());
    assertEquals(6, sent.path("max_tokens").asInt());
    assertEquals("\n", sent.path("stop").path(0).asText());

    gateway.on(
        "POST",
        "/v1/completions",
        json(
            404,
            "{\"error\":{\"message\":\"no model named x\",\"type\":\"not_found_error\",\"param\":\"model\"}}"));
    Cli.Result missing = Cli.run(gateway.uri(), "generate", "x");
    assertEquals(1, missing.exitCode(), missing.all());
    assertTrue(missing.err().contains("HTTP 404: no model named x (model)"), missing.all());
  }

  @Test
  void eventsOfAnUnknownRunIs404() {
    Cli.Result result = Cli.run(gateway.uri(), "events", "nope");
    assertEquals(1, result.exitCode(), result.all());
    assertTrue(result.err().contains("Not found (404)"), result.all());
  }

  @Test
  void anUnreachableApiIsSaidPlainly() throws IOException {
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    Cli.Result result = Cli.run(URI.create("http://127.0.0.1:" + closed), "runs");
    assertEquals(1, result.exitCode(), result.all());
    assertTrue(
        result.err().startsWith("bd3: cannot reach the API at http://127.0.0.1:" + closed),
        result.all());
    assertFalse(result.err().contains("Exception:"), result.all());
  }

  @Test
  void demoTrainsEvaluatesAndSamples() {
    gateway.on(
        "POST",
        "/api/v1/runs",
        request -> {
          String type = Bd3Client.parse(request.body()).path("type").asText();
          return json(201, view(type + "-run", type, "QUEUED", 0, 0).toString());
        });
    gateway.on(
        "GET",
        "/api/v1/runs/train-run",
        json(200, view("train-run", "train", "SUCCEEDED", 7, 7).toString()));
    ObjectNode eval = view("eval-run", "eval", "SUCCEEDED", 1, 1);
    eval.putArray("evalResults").addObject().put("metric", "ppl").put("value", 18.75);
    gateway.on("GET", "/api/v1/runs/eval-run", json(200, eval.toString()));
    ObjectNode sample = view("sample-run", "sample", "SUCCEEDED", 2, 2);
    sample
        .putArray("samples")
        .addObject()
        .put("index", 0)
        .put("text", "is pleased.")
        .put("tokens", 11)
        .put("nfe", 6)
        .put("stopReason", "eos");
    gateway.on("GET", "/api/v1/runs/sample-run", json(200, sample.toString()));

    Cli.Result result = Cli.run(gateway.uri(), "demo", "--steps", "7");
    assertEquals(0, result.exitCode(), result.all());
    JsonNode train = Bd3Client.parse(gateway.requests.get(0).body());
    assertEquals(7, train.path("spec").path("steps").asInt());
    assertTrue(result.out().contains("test perplexity (NELBO upper bound): 18.75"), result.all());
    assertTrue(result.out().contains("The Commission is pleased."), result.all());
    assertTrue(
        result.out().contains("runs:       train train-run, eval eval-run, sample sample-run"),
        result.all());
  }

  @Test
  void importSendsTheFolderAsOneMultipartRequest(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"bd3lm\"}");
    byte[] weights = {8, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, 0, 1};
    Files.write(dir.resolve("model.safetensors"), weights);
    ObjectNode run = view("r20", "train", "SUCCEEDED", 0, 0).put("importedSha256", "ab12");
    gateway.on("POST", "/api/v1/models", json(201, run.toString()));

    Cli.Result result = Cli.run(gateway.uri(), "import", dir.toString(), "--name", "theirs");
    assertEquals(0, result.exitCode(), result.all());
    assertEquals("r20\n", result.out());
    assertTrue(result.err().contains("ab12"), result.all());
    FakeGateway.Request sent = gateway.last("/api/v1/models");
    String type = sent.header("Content-Type");
    assertTrue(type.startsWith("multipart/form-data; boundary="), type);
    String b = "--" + type.substring(type.indexOf('=') + 1);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.writeBytes(
        (b
                + "\r\nContent-Disposition: form-data; name=\"config\"; filename=\"config.json\""
                + "\r\nContent-Type: application/json\r\n\r\n{\"model_type\":\"bd3lm\"}\r\n"
                + b
                + "\r\nContent-Disposition: form-data; name=\"weights\";"
                + " filename=\"model.safetensors\"\r\nContent-Type: application/octet-stream"
                + "\r\n\r\n")
            .getBytes(StandardCharsets.UTF_8));
    expected.writeBytes(weights);
    expected.writeBytes(
        ("\r\n"
                + b
                + "\r\nContent-Disposition: form-data; name=\"name\"\r\nContent-Type: text/plain;"
                + " charset=UTF-8\r\n\r\ntheirs\r\n"
                + b
                + "--\r\n")
            .getBytes(StandardCharsets.UTF_8));
    assertArrayEquals(expected.toByteArray(), sent.bytes());
  }

  @Test
  void importNamesAFolderOfTheStoreWithoutUploading() throws Exception {
    ObjectNode run = view("r21", "train", "SUCCEEDED", 0, 0).put("importedSha256", "cd34");
    gateway.on("POST", "/api/v1/models", json(201, run.toString()));
    Cli.Result result =
        Cli.run(gateway.uri(), "import", "--store-path", "imports/owt", "--name", "x");
    assertEquals(0, result.exitCode(), result.all());
    assertEquals("r21\n", result.out());
    FakeGateway.Request sent = gateway.last("/api/v1/models");
    assertEquals("application/json", sent.header("Content-Type"));
    JsonNode body = Bd3Client.parse(sent.body());
    assertEquals("imports/owt", body.path("path").asText());
    assertEquals("x", body.path("name").asText());

    Cli.Result neither = Cli.run(gateway.uri(), "import");
    assertEquals(2, neither.exitCode(), neither.all());
    assertTrue(neither.err().contains("either DIR or --store-path"), neither.all());
  }

  @Test
  void exportUnpacksTheReleaseIntoItsFolderAndNothingElse(@TempDir Path dir) throws Exception {
    gateway.on(
        "GET",
        "/api/v1/runs/r21/checkpoints/latest/release",
        new FakeGateway.Answer(
            200,
            "application/zip",
            zip(
                Map.of(
                    "config.json",
                    "{\"n_blocks\":2}".getBytes(StandardCharsets.UTF_8),
                    "model.safetensors",
                    new byte[] {1, 2, 3}))));
    Path out = dir.resolve("r21");
    Cli.Result result = Cli.run(gateway.uri(), "export", "r21", "--out", out.toString());
    assertEquals(0, result.exitCode(), result.all());
    assertEquals(out + "\n", result.out());
    assertEquals("{\"n_blocks\":2}", Files.readString(out.resolve("config.json")));
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(out.resolve("model.safetensors")));

    Cli.Result missing =
        Cli.run(gateway.uri(), "export", "r21", "--step", "7", "--out", out.toString());
    assertEquals(1, missing.exitCode(), missing.all());
    assertTrue(missing.err().contains("Not found (404)"), missing.all());
    assertTrue(gateway.last("/api/v1/runs/r21/checkpoints/7/release") != null, missing.all());

    gateway.on(
        "GET",
        "/api/v1/runs/r22/checkpoints/latest/release",
        new FakeGateway.Answer(200, "application/zip", zip(Map.of("../evil.txt", new byte[] {1}))));
    Cli.Result evil = Cli.run(gateway.uri(), "export", "r22", "--out", out.toString());
    assertEquals(1, evil.exitCode(), evil.all());
    assertFalse(Files.exists(dir.resolve("evil.txt")), "nothing outside the folder");
  }

  private static byte[] zip(Map<String, byte[]> files) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> file : files.entrySet()) {
        zip.putNextEntry(new ZipEntry(file.getKey()));
        zip.write(file.getValue());
      }
    }
    return bytes.toByteArray();
  }
}
