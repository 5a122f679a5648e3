package dev.bd3.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bd3.cli.Bd3Client;
import dev.bd3.testsupport.LocalSuite;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * {@code bench/run chaos}: a suite with several workers of each type runs a stream of mixed tiny
 * jobs while a killer crashes, at random moments, workers, the gateway, the broker and PostgreSQL,
 * restarting each after a few seconds. Then every run is checked against the database, the artifact
 * store and the workers' logs: none lost, none done twice, none stuck, none with a status its
 * results contradict. Before the chaos, the latency from submission to RUNNING is measured with
 * idle workers.
 */
final class ChaosBench extends Benchmark {
  private final Random random;
  private final List<Outage> outages = new CopyOnWriteArrayList<>();
  private final Map<String, String> submitted = new ConcurrentHashMap<>(); // run id -> type
  private LocalSuite suite;
  private Bd3Client api;

  /** A component down from its kill until it was started again. */
  private record Outage(String instance, Instant from, Instant to) {}

  ChaosBench(Options options, Report report) {
    super(options, report);
    random = new Random(o.integer("seed", 1));
  }

  @Override
  void run() throws Exception {
    int jobs = o.integer("jobs", 200);
    int kills = o.integer("kills", 24);
    int workers = o.integer("workers", 2);
    int drainSeconds = o.integer("drain", 900);
    String n = String.valueOf(workers);
    suite =
        new LocalSuite(
            "chaos",
            Map.of(
                "TRAINERS", n,
                "SAMPLERS", n,
                "EVALS", n,
                "BD3_JOB_LOCK", "15s",
                "BD3_STALE_AFTER", "30s"));
    suite.start();
    api = new Bd3Client(URI.create("http://127.0.0.1:" + suite.port("gateway")), suite.adminKey());
    try {
      r.line(
          "suite: %d workers of each type, topics %s, artifacts %s",
          workers, suite.topics().prefix(), suite.artifacts());
      List<Double> latency = submitToRunning(o.integer("latency-jobs", 10));
      String base = baseRun();

      Thread submitter = new Thread(() -> submitAll(jobs, base), "submitter");
      Thread killer = new Thread(() -> killAll(kills, workers), "killer");
      Instant chaosStarted = Instant.now();
      submitter.start();
      killer.start();
      submitter.join();
      long submitting = Duration.between(chaosStarted, Instant.now()).toSeconds();
      killer.join();
      r.line(
          "chaos: %d jobs submitted in %d s, %d kills in %d s",
          submitted.size(),
          submitting,
          outages.size(),
          Duration.between(chaosStarted, Instant.now()).toSeconds());
      suite.suite("start"); // whatever the last kill left down
      drain(Duration.ofSeconds(drainSeconds));
      check(latency, chaosStarted);
    } finally {
      suite.stop();
    }
    r.finish();
  }

  // --- the load

  private static ObjectNode train(int steps, long seed) {
    return Bd3Client.object()
        .put("preset", "tiny")
        .put("steps", steps)
        .put("batchSize", 8)
        .put("checkpointEvery", 20)
        .put("seed", seed);
  }

  /** Time from submission to RUNNING (the gateway's and the worker's clocks: one machine). */
  private List<Double> submitToRunning(int n) throws SQLException {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String id = api.submit("train", train(10, i)).path("id").asText();
      api.await(id, Duration.ofMinutes(2), v -> {});
      ids.add(id);
    }
    List<Double> ms = new ArrayList<>();
    try (Connection db = db()) {
      for (String id : ids) {
        try (ResultSet rs =
            db.createStatement()
                .executeQuery(
                    "SELECT extract(epoch FROM started_at - created_at) * 1000 FROM runs WHERE id = '"
                        + id
                        + "'")) {
          rs.next();
          ms.add(rs.getDouble(1));
        }
      }
    }
    Collections.sort(ms);
    r.line("submit -> RUNNING with idle workers (ms, %d jobs): %s", n, ms);
    return ms;
  }

  /** A trained model for the eval and sample jobs to read. */
  private String baseRun() {
    String id = api.submit("train", train(40, 99)).path("id").asText();
    JsonNode done = api.await(id, Duration.ofMinutes(5), v -> {});
    if (!done.path("status").asText().equals("SUCCEEDED")) {
      throw new IllegalStateException("the base run did not succeed: " + done);
    }
    return id;
  }

  /**
   * Submits {@code n} mixed jobs, one every 2.5 s on average (so that the kills, which take about
   * 20 s each with the restart, fall among them), each with an idempotency key.
   */
  private void submitAll(int n, String base) {
    for (int i = 0; i < n; i++) {
      double pick = random.nextDouble();
      String type = pick < 0.5 ? "train" : pick < 0.75 ? "eval" : "sample";
      ObjectNode spec =
          switch (type) {
            case "train" -> train(30 + random.nextInt(60), i);
            case "eval" -> Bd3Client.object().put("trainRunId", base).put("maxSequences", 8);
            default ->
                Bd3Client.object().put("trainRunId", base).put("maxTokens", 32).put("seed", i);
          };
      String key = suite.topics().prefix() + "-" + i;
      String id = submitUntilTaken(type, spec, key);
      submitted.put(id, type);
      sleep(Duration.ofMillis(1500 + random.nextInt(2000))); // spread over the kills' window
    }
  }

  /** Submits until the gateway answers (it may be down): the key keeps a retry from doubling. */
  private String submitUntilTaken(String type, ObjectNode spec, String key) {
    Instant giveUp = Instant.now().plus(Duration.ofMinutes(5));
    while (true) {
      try {
        return api.submit(type, null, spec, key).path("id").asText();
      } catch (RuntimeException e) {
        if (Instant.now().isAfter(giveUp)) {
          throw new IllegalStateException("the gateway took no job for 5 minutes", e);
        }
        sleep(Duration.ofSeconds(1));
      }
    }
  }

  // --- the faults

  /** Kills at random moments: workers most often, the gateway, the broker and the database too. */
  private void killAll(int kills, int workers) {
    List<String> targets = new ArrayList<>();
    for (int i = 0; i < kills; i++) {
      targets.add(
          switch (i % 8) {
            case 0, 3, 6 -> instance("trainer", workers);
            case 1, 4 -> instance("sampler", workers);
            case 2, 5 -> instance("eval", workers);
            case 7 -> List.of("gateway", "kafka", "postgres").get((i / 8) % 3);
            default -> throw new IllegalStateException();
          });
    }
    Collections.shuffle(targets, random);
    for (String target : targets) {
      sleep(Duration.ofSeconds(3 + random.nextInt(8)));
      Instant down = Instant.now();
      switch (target) {
        case "kafka", "postgres" -> suite.stack("kill", target);
        default -> kill(target);
      }
      sleep(Duration.ofSeconds(2 + random.nextInt(6)));
      suite.suite("start"); // the stack and every missing instance
      outages.add(new Outage(target, down, Instant.now()));
      r.line(
          "  killed %-10s at %s, back after %d s",
          target, down, Duration.between(down, Instant.now()).toSeconds());
    }
  }

  private String instance(String service, int count) {
    int i = 1 + random.nextInt(count);
    return i == 1 ? service : service + "-" + i;
  }

  private void kill(String instance) {
    try {
      suite.signal(instance, "KILL");
    } catch (IOException e) {
      r.line("  (no pid for %s: %s)", instance, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits until every submitted run has ended, or the time is up. */
  private void drain(Duration timeout) throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      long open = 0;
      for (String id : submitted.keySet()) {
        String status = api.run(id).path("status").asText();
        if (status.equals("QUEUED") || status.equals("RUNNING")) {
          open++;
        }
      }
      if (open == 0) {
        return;
      }
      r.line("  draining: %d run(s) not ended", open);
      Thread.sleep(10_000);
    }
  }

  // --- the checks

  private void check(List<Double> latency, Instant chaosStarted) throws Exception {
    int lost = 0;
    int stuck = 0;
    int wrong = 0;
    int duplicated = 0;
    Map<String, Integer> statuses = new HashMap<>();
    Map<String, Integer> completions = completionsInLogs();
    try (Connection db = db()) {
      for (Map.Entry<String, String> job : submitted.entrySet()) {
        String id = job.getKey();
        Row row = row(db, id);
        if (row == null) {
          lost++;
          r.line("  lost: %s (%s) is not in the database", id, job.getValue());
          continue;
        }
        statuses.merge(row.status(), 1, Integer::sum);
        switch (row.status()) {
          case "QUEUED" -> {
            lost++;
            r.line("  lost: %s never ran", id);
          }
          case "RUNNING" -> {
            stuck++;
            r.line("  stuck: %s RUNNING at the end", id);
          }
          default -> {
            String why = wrongStatus(db, row, job.getValue());
            if (why != null) {
              wrong++;
              r.line("  wrong status: %s %s: %s", id, row.status(), why);
            }
          }
        }
        int completed = completions.getOrDefault(id, 0);
        String files = checkpointMismatch(db, id);
        if (completed > 1 || files != null) {
          duplicated++;
          r.line(
              "  duplicated: %s completed %d times%s",
              id, completed, files == null ? "" : "; " + files);
        }
      }
    }
    double idleWait = idleWorkerWaitP99(chaosStarted);
    r.line("");
    r.line("runs by status: %s", statuses);
    r.line("kills: %s", outages.stream().map(Outage::instance).toList());
    r.result("jobs", submitted.size());
    r.result("kills", outages.size());
    r.result("lost", lost);
    r.result("duplicated", duplicated);
    r.result("stuck", stuck);
    r.result("wrong_status", wrong);
    r.result("gave_up", statuses.getOrDefault("FAILED", 0));
    r.result("idle_worker_wait_ms", idleWait);
    r.result("submit_to_running_ms", latency.get(latency.size() / 2));
  }

  private record Row(String id, String type, String status, String error, String spec) {}

  private static Row row(Connection db, String id) throws SQLException {
    try (ResultSet rs =
        db.createStatement()
            .executeQuery(
                "SELECT id, type, status, error, spec::text FROM runs WHERE id = '" + id + "'")) {
      return rs.next()
          ? new Row(
              rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5))
          : null;
    }
  }

  /**
   * Why a run's status contradicts what it left, or null: SUCCEEDED without its results, FAILED for
   * another reason than exhausted attempts (every job here is valid), CANCELLED though none was.
   */
  private static String wrongStatus(Connection db, Row row, String type) throws SQLException {
    switch (row.status()) {
      case "FAILED" -> {
        return row.error() != null && row.error().startsWith("gave up after") ? null : row.error();
      }
      case "CANCELLED" -> {
        return "nobody cancelled it";
      }
      default -> {
        String sql =
            type.equals("train")
                ? "SELECT count(*) FROM checkpoints c JOIN runs r ON r.id = c.run_id"
                    + " WHERE r.id = '"
                    + row.id()
                    + "' AND c.step = (r.spec->>'steps')::bigint"
                : type.equals("eval")
                    ? "SELECT count(*) FROM eval_results WHERE run_id = '"
                        + row.id()
                        + "' AND metric = 'ppl'"
                    : "SELECT count(*) FROM samples WHERE run_id = '" + row.id() + "'";
        try (ResultSet rs = db.createStatement().executeQuery(sql)) {
          rs.next();
          return rs.getLong(1) == 1 ? null : "no final result (" + type + ")";
        }
      }
    }
  }

  /** A checkpoint file that is not the one the gateway recorded (two writers), or null. */
  private String checkpointMismatch(Connection db, String id) throws Exception {
    Path dir = suite.artifacts().resolve("runs").resolve(id).resolve("checkpoints");
    if (!Files.isDirectory(dir)) {
      return null;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".ckpt")).toList()) {
        long step = Long.parseLong(f.getFileName().toString().replaceAll("\\D", ""));
        try (ResultSet rs =
            db.createStatement()
                .executeQuery(
                    "SELECT sha256 FROM checkpoints WHERE run_id = '"
                        + id
                        + "' AND step = "
                        + step)) {
          String recorded = rs.next() ? rs.getString(1) : null;
          String actual =
              HexFormat.of()
                  .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
          if (recorded != null && !recorded.equals(actual)) {
            return "checkpoint at step " + step + " differs from its record";
          }
        }
      }
    }
    return null;
  }

  /** How often each run was reported done by a worker ("run X: SUCCEEDED (accept)"). */
  private Map<String, Integer> completionsInLogs() throws IOException {
    Map<String, Integer> done = new HashMap<>();
    for (WorkerLog.Line line : WorkerLog.read(suite.logs(), "chaos")) {
      if (line.settled() && line.text().contains(": SUCCEEDED")) {
        done.merge(line.runId(), 1, Integer::sum);
      }
    }
    return done;
  }

  /**
   * The 99th percentile, over jobs, of the time a job waited while a worker of its type sat idle
   * (alive, polling, no job), outside the broker's and the gateway's outages (no queue then).
   */
  private double idleWorkerWaitP99(Instant since) throws Exception {
    List<WorkerLog.Line> lines = new ArrayList<>(WorkerLog.read(suite.logs(), "chaos"));
    for (Outage o : outages) {
      String type = o.instance().replaceFirst("-\\d+$", "");
      if (List.of("trainer", "sampler", "eval").contains(type)) {
        lines.add(
            new WorkerLog.Line(
                o.instance(), type, o.from(), WorkerLog.Kind.KILLED, null, "killed"));
      }
    }
    lines.sort(java.util.Comparator.comparing(WorkerLog.Line::time));
    List<Double> waits = new ArrayList<>();
    try (Connection db = db()) {
      for (Map.Entry<String, String> job : submitted.entrySet()) {
        Instant created = created(db, job.getKey());
        Instant started =
            lines.stream()
                .filter(l -> l.started() && job.getKey().equals(l.runId()))
                .map(WorkerLog.Line::time)
                .min(Instant::compareTo)
                .orElse(null);
        if (created == null || started == null || created.isBefore(since)) {
          continue;
        }
        waits.add(idleMillis(lines, job.getValue(), created, started));
      }
    }
    Collections.sort(waits);
    r.line(
        "idle-worker wait (ms) over %d jobs: p50 %.0f, p90 %.0f, p99 %.0f, max %.0f",
        waits.size(), pct(waits, 0.5), pct(waits, 0.9), pct(waits, 0.99), pct(waits, 1.0));
    return pct(waits, 0.99);
  }

  /** Milliseconds of [from, to) during which some worker of the type was alive and idle. */
  private double idleMillis(List<WorkerLog.Line> lines, String type, Instant from, Instant to) {
    long idle = 0;
    for (Instant t = from; t.isBefore(to); t = t.plusMillis(100)) {
      Instant at = t;
      boolean outage =
          outages.stream()
              .anyMatch(
                  o ->
                      (o.instance().equals("kafka") || o.instance().equals("gateway"))
                          && !at.isBefore(o.from())
                          && at.isBefore(o.to()));
      if (!outage && WorkerLog.someIdle(lines, type, at)) {
        idle += 100;
      }
    }
    return idle;
  }

  /** The p-quantile of sorted values (nearest rank); 0 for none. */
  private static double pct(List<Double> sorted, double p) {
    if (sorted.isEmpty()) {
      return 0;
    }
    int rank = (int) Math.ceil(p * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size(), rank) - 1));
  }

  private static Instant created(Connection db, String id) throws SQLException {
    try (ResultSet rs =
        db.createStatement().executeQuery("SELECT created_at FROM runs WHERE id = '" + id + "'")) {
      return rs.next() ? rs.getTimestamp(1).toInstant() : null;
    }
  }

  private Connection db() throws SQLException {
    Map<String, String> stack = suite.stackEnv();
    return DriverManager.getConnection(
        stack.get("DB_URL") + "_test", stack.get("DB_USER"), stack.get("DB_PASSWORD"));
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
