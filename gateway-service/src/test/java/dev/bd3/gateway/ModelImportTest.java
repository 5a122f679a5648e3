package dev.bd3.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bd3.gateway.runs.Run;
import dev.bd3.model.spec.release.ReleaseLayout;
import dev.bd3.model.spec.release.Safetensors;
import dev.bd3.testsupport.LocalStack;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Models in the authors' release layout: an import is checked, converted into a checkpoint in the
 * artifact store and recorded as a finished training run that jobs read like any other; any
 * checkpoint exports back to the layout. The model is the authors' own folder (shared-model's
 * parity fixture), its ignored rotary buffer made unique to each run of this test, so that the
 * database of an earlier run does not know its weights.
 */
@QuarkusTest
@QuarkusTestResource(LocalStack.class)
class ModelImportTest {
  private static final String PROBLEM = "application/problem+json";
  private static final Path FIXTURES =
      Path.of(System.getProperty("bd3.root", ".."))
          .resolve("shared-model/src/test/resources/reference");
  private static final Path FIXTURE = FIXTURES.resolve("bd3lm");
  private static final Path CONFIG = FIXTURE.resolve(ReleaseLayout.CONFIG);
  private static final Path AR = FIXTURES.resolve("ar");

  private Path dir;

  @BeforeEach
  void signOut() throws IOException {
    TestKeys.signOut();
    dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "models-");
  }

  private static Response upload(String key, Path config, Path weights, String name) {
    var request = given().header(TestKeys.bearer(key)).multiPart("weights", weights.toFile());
    if (config != null) {
      request.multiPart("config", config.toFile());
    }
    if (name != null) {
      request.multiPart("name", name);
    }
    return request.post("/api/v1/models");
  }

  @Test
  void anImportIsAFinishedTrainingRunWithOneCheckpointAndImportedOnce() throws Exception {
    Path weights = uniqueWeights("model", entries -> entries);
    String sha = sha256(Files.readAllBytes(weights));
    Response made = upload(TestKeys.admin(), CONFIG, weights, "authors-bd3lm");
    made.then()
        .statusCode(201)
        .contentType(ContentType.JSON)
        .body("type", equalTo("train"))
        .body("status", equalTo("SUCCEEDED"))
        .body("name", equalTo("authors-bd3lm"))
        .body("importedSha256", equalTo(sha))
        .body("spec.layers", equalTo(2))
        .body("spec.width", equalTo(32))
        .body("spec.heads", equalTo(4))
        .body("spec.contextLength", equalTo(16))
        .body("spec.blockSize", equalTo(4))
        .body("spec.condDim", equalTo(16))
        .body("spec.causal", equalTo(false))
        .body("spec.tokenizer", equalTo("bytes"))
        .body("checkpointCount", equalTo(1))
        .body("checkpoints[0].step", equalTo(0));
    String id = made.path("id");
    assertEquals("/api/v1/runs/" + id, URI.create(made.header("Location")).getPath());

    // the checkpoint is in the store, under the sha256 and size recorded
    String uri = made.path("checkpoints[0].uri");
    byte[] checkpoint = Files.readAllBytes(Path.of(URI.create(uri)));
    assertEquals(sha256(checkpoint), made.path("checkpoints[0].sha256"));
    assertEquals(checkpoint.length, made.<Number>path("checkpoints[0].bytes").longValue());

    // the same weights again are the same run, whatever the name
    upload(TestKeys.admin(), CONFIG, weights, "again")
        .then()
        .statusCode(200)
        .body("id", equalTo(id))
        .body("name", equalTo("authors-bd3lm"));
    assertEquals(
        1L, QuarkusTransaction.requiringNew().call(() -> Run.count("importedSha256", sha)));

    // jobs read it as any training run's; its training text is unknown, so an evaluation names one
    submit("{\"type\":\"sample\",\"spec\":{\"trainRunId\":\"" + id + "\"}}")
        .then()
        .statusCode(201)
        .body("spec.checkpoint", equalTo(uri))
        .body("spec.steps", equalTo(4));
    submit("{\"type\":\"eval\",\"spec\":{\"trainRunId\":\"" + id + "\"}}")
        .then()
        .statusCode(400)
        .contentType(containsString(PROBLEM))
        .body("errors.field", hasItem("spec.corpus"));
    submit("{\"type\":\"eval\",\"spec\":{\"trainRunId\":\"" + id + "\",\"corpus\":\"europarl\"}}")
        .then()
        .statusCode(201)
        .body("spec.corpus", equalTo("europarl"));

    // exported, its tensors are the authors' (the rotary buffer computed again)
    for (String step : List.of("0", "latest")) {
      Response release =
          given()
              .header(TestKeys.bearer(TestKeys.admin()))
              .get("/api/v1/runs/" + id + "/checkpoints/" + step + "/release");
      release.then().statusCode(200).contentType("application/zip");
      Map<String, byte[]> files = unzip(release.asByteArray());
      assertEquals(
          List.of(ReleaseLayout.CONFIG, ReleaseLayout.WEIGHTS), List.copyOf(files.keySet()));
      Map<String, byte[]> theirs =
          tensors(Files.readAllBytes(FIXTURE.resolve(ReleaseLayout.WEIGHTS)));
      Map<String, byte[]> ours = tensors(files.get(ReleaseLayout.WEIGHTS));
      assertEquals(theirs.keySet(), ours.keySet());
      theirs.remove(ReleaseLayout.ROTARY);
      theirs.forEach((name, bytes) -> assertArrayEquals(bytes, ours.get(name), name));
    }
  }

  /**
   * The authors' causal AR model imports as that kind: training may start from it (same shape),
   * evaluation reads it, block sampling is refused.
   */
  @Test
  void theCausalModelImportsAsItsOwnKind() throws Exception {
    Response made =
        upload(
            TestKeys.admin(),
            AR.resolve(ReleaseLayout.CONFIG),
            uniqueWeights(AR, "ar", e -> e),
            null);
    made.then()
        .statusCode(201)
        .body("spec.causal", equalTo(true))
        .body("spec.blockSize", equalTo(1))
        .body("spec.condDim", equalTo(0));
    String id = made.path("id");
    String uri = made.path("checkpoints[0].uri");
    submit(
            "{\"type\":\"train\",\"spec\":{\"causal\":true,\"blockSize\":1,\"layers\":2,"
                + "\"width\":32,\"heads\":4,\"contextLength\":16,\"initFrom\":\""
                + uri
                + "\"}}")
        .then()
        .statusCode(201);
    submit(
            "{\"type\":\"train\",\"spec\":{\"blockSize\":1,\"layers\":2,\"width\":32,"
                + "\"heads\":4,\"contextLength\":16,\"initFrom\":\""
                + uri
                + "\"}}")
        .then()
        .statusCode(400)
        .body("errors.field", hasItem("spec.initFrom"))
        .body("errors.message", hasItem(containsString("causal")));
    submit("{\"type\":\"sample\",\"spec\":{\"trainRunId\":\"" + id + "\"}}")
        .then()
        .statusCode(400)
        .body("errors.field", hasItem("spec.trainRunId"));

    // a time-conditioned model is not one this suite samples
    Path timed = dir.resolve("timed.json");
    Files.writeString(
        timed,
        Files.readString(CONFIG)
            .replace("\"time_conditioning\": false", "\"time_conditioning\": true"));
    upload(TestKeys.admin(), timed, uniqueWeights(FIXTURE, "timed", e -> e), null)
        .then()
        .statusCode(400)
        .body("errors.field", hasItem("config"))
        .body("detail", containsString("time_conditioning"));
  }

  /**
   * A release folder already in the artifact store is imported by naming it: the same run as an
   * upload of the same files; a path out of the store, or to no such folder, is refused naming it.
   */
  @Test
  void aFolderOfTheArtifactStoreImportsByItsPath() throws Exception {
    Path store =
        Path.of(ConfigProvider.getConfig().getValue("bd3.gateway.artifact-dir", String.class));
    String name = "imports/" + UUID.randomUUID();
    Path folder = Files.createDirectories(store.resolve(name));
    Files.copy(CONFIG, folder.resolve(ReleaseLayout.CONFIG));
    Files.move(uniqueWeights("folder", e -> e), folder.resolve(ReleaseLayout.WEIGHTS));
    String sha = sha256(Files.readAllBytes(folder.resolve(ReleaseLayout.WEIGHTS)));
    Response made = importFolder("{\"path\":\"" + name + "\",\"name\":\"from-store\"}");
    made.then()
        .statusCode(201)
        .body("name", equalTo("from-store"))
        .body("importedSha256", equalTo(sha))
        .body("spec.blockSize", equalTo(4))
        .body("checkpoints[0].step", equalTo(0));
    upload(TestKeys.admin(), CONFIG, folder.resolve(ReleaseLayout.WEIGHTS), null)
        .then()
        .statusCode(200)
        .body("id", equalTo(made.path("id")));

    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.copy(CONFIG, outside.resolve(ReleaseLayout.CONFIG));
    Files.copy(folder.resolve(ReleaseLayout.WEIGHTS), outside.resolve(ReleaseLayout.WEIGHTS));
    Path link = store.resolve("imports/link-" + UUID.randomUUID());
    Files.createSymbolicLink(link, outside.toAbsolutePath());
    for (String path :
        List.of(
            "../" + name,
            "/" + name,
            name + "/..",
            "imports/none",
            store.relativize(link).toString())) {
      importFolder("{\"path\":\"" + path + "\"}")
          .then()
          .statusCode(400)
          .contentType(containsString(PROBLEM))
          .body("errors.field", hasItem("path"));
    }
    importFolder("{}").then().statusCode(400).body("errors.field", hasItem("path"));
    given()
        .header(TestKeys.bearer(TestKeys.create("folder-" + UUID.randomUUID(), "submitter")))
        .contentType(ContentType.JSON)
        .body("{\"path\":\"" + name + "\"}")
        .post("/api/v1/models")
        .then()
        .statusCode(403);
  }

  private static Response importFolder(String body) {
    return given()
        .header(TestKeys.bearer(TestKeys.admin()))
        .contentType(ContentType.JSON)
        .body(body)
        .post("/api/v1/models");
  }

  @Test
  void anImportThatDoesNotFitItsConfigIsRefusedNamingTheTensor() throws Exception {
    String norm = "backbone.blocks.0.norm1.weight";
    Path wrongShape =
        uniqueWeights(
            "wrong-shape",
            entries -> {
              entries.replaceAll(
                  e ->
                      e.name().equals(norm)
                          ? Safetensors.f32(norm, new long[] {16}, new float[16])
                          : e);
              return entries;
            });
    upload(TestKeys.admin(), CONFIG, wrongShape, null)
        .then()
        .statusCode(400)
        .contentType(containsString(PROBLEM))
        .body("errors.field", hasItem("weights"))
        .body("detail", containsString(norm));
    upload(TestKeys.admin(), null, uniqueWeights("no-config", entries -> entries), null)
        .then()
        .statusCode(400)
        .contentType(containsString(PROBLEM))
        .body("errors.field", hasItem("config"));
    Path badConfig = dir.resolve("config.json");
    Files.writeString(
        badConfig, Files.readString(CONFIG).replace("\"n_heads\": 4", "\"n_heads\": 3"));
    upload(TestKeys.admin(), badConfig, uniqueWeights("bad-config", entries -> entries), null)
        .then()
        .statusCode(400)
        .body("errors.field", hasItem("config"))
        .body("detail", containsString("n_heads"));
  }

  @Test
  void onlyAnAdminImportsAndAnyReaderExports() throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String submitter = TestKeys.create("importer-" + suffix, "submitter");
    upload(submitter, CONFIG, uniqueWeights("submitter", entries -> entries), null)
        .then()
        .statusCode(403)
        .contentType(containsString(PROBLEM));

    // a checkpoint recorded but not in the store, and a step with none, are 404s
    String run =
        given()
            .header(TestKeys.bearer(TestKeys.admin()))
            .contentType(ContentType.JSON)
            .body("{\"type\":\"train\",\"spec\":{\"preset\":\"micro\"}}")
            .post("/api/v1/runs")
            .then()
            .statusCode(201)
            .extract()
            .path("id");
    JobEventsTest.checkpoint(run, 5);
    String reader = TestKeys.create("exporter-" + suffix, "reader");
    for (String step : List.of("5", "6", "latest", "x")) {
      given()
          .header(TestKeys.bearer(reader))
          .get("/api/v1/runs/" + run + "/checkpoints/" + step + "/release")
          .then()
          .statusCode(404)
          .contentType(containsString(PROBLEM));
    }
  }

  @Test
  void weightsOverTheLimitAre413() throws Exception {
    Path large = dir.resolve("large.safetensors");
    Files.write(large, new byte[5 * 1024 * 1024]); // the test profile's limit is 4 MB
    upload(TestKeys.admin(), CONFIG, large, null)
        .then()
        .statusCode(413)
        .contentType(containsString(PROBLEM));
  }

  private static Response submit(String body) {
    return given()
        .header(TestKeys.bearer(TestKeys.admin()))
        .contentType(ContentType.JSON)
        .body(body)
        .post("/api/v1/runs");
  }

  /**
   * The fixture's weights written again as {@code change} has them, with a random rotary buffer
   * (which an import does not read): weights no earlier run of the test imported.
   */
  private Path uniqueWeights(String name, UnaryOperator<List<Safetensors.Entry>> change)
      throws IOException {
    return uniqueWeights(FIXTURE, name, change);
  }

  private Path uniqueWeights(
      Path fixture, String name, UnaryOperator<List<Safetensors.Entry>> change) throws IOException {
    Path from = fixture.resolve(ReleaseLayout.WEIGHTS);
    Path to = dir.resolve(name + ".safetensors");
    Safetensors.Header header = Safetensors.read(from);
    SplittableRandom random = new SplittableRandom();
    try (FileChannel file = FileChannel.open(from, StandardOpenOption.READ);
        OutputStream out = Files.newOutputStream(to)) {
      List<Safetensors.Entry> entries = new ArrayList<>();
      for (Safetensors.Tensor t : header.tensors().values()) {
        if (t.name().equals(ReleaseLayout.ROTARY)) {
          float[] values = new float[(int) t.shape()[0]];
          for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextDouble();
          }
          entries.add(Safetensors.f32(t.name(), t.shape(), values));
        } else {
          entries.add(header.copied(file, t, t.name()));
        }
      }
      Safetensors.write(out, change.apply(entries));
    }
    return to;
  }

  /** A safetensors file's tensors' bytes by name. */
  private static Map<String, byte[]> tensors(byte[] file) throws IOException {
    Safetensors.Header header = Safetensors.read(new ByteArrayInputStream(file), file.length);
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (Safetensors.Tensor t : header.tensors().values()) {
      int from = (int) (header.dataStart() + t.begin());
      out.put(t.name(), Arrays.copyOfRange(file, from, from + (int) t.bytes()));
    }
    return out;
  }

  private static Map<String, byte[]> unzip(byte[] zip) throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    try (InputStream bytes = new ByteArrayInputStream(zip);
        ZipInputStream in = new ZipInputStream(bytes)) {
      for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        files.put(e.getName(), in.readAllBytes());
      }
    }
    return files;
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
