package dev.bd3.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bd3.cli.Bd3Client;
import dev.bd3.jobs.JobType;
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
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code bench/run chaos}: a suite with several workers of each type runs a stream of mixed tiny
 * jobs while a killer crashes, at random moments, workers, the gateway, the broker and PostgreSQL,
 * and stops workers gracefully (SIGTERM, as a rolling update or a scale-in does), restarting each
 * after a few seconds; some job records are published a second time, as an outbox row sent again
 * would be. Then every run is checked against the database, the artifact store and the workers'
 * logs: none lost, none done twice, none stuck, none with a status its results contradict, never
 * two holders of a run at once. Before the chaos, the latency from submission to RUNNING is
 * measured with idle workers.
 */
final class ChaosBench extends Benchmark {
  private final Random random;
  private final List<Outage> outages = new CopyOnWriteArrayList<>();
  private final Map<String, String> submitted = new ConcurrentHashMap<>(); // run id -> type
  private final List<String> doubled = new CopyOnWriteArrayList<>(); // runs whose record went twice
  private LocalSuite suite;
  private Bd3Client api;

  /** A component down from its kill (or graceful stop) until it was started again. */
  private record Outage(String instance, Instant from, Instant to, boolean graceful) {}

  ChaosBench(Options options, Report report) {
    super(options, report);
    random = new Random(o.integer("seed", 1));
  }

  @Override
  void run() throws Exception {
    int jobs = o.integer("jobs", 200);
    int kills = o.integer("kills", 24);
    int stops = o.integer("stops", 24);
    int duplicates = o.integer("duplicates", 20);
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
                "BD3_GATEWAY_JOBS_LOCK_DURATION", "15s",
                "BD3_GATEWAY_RUNS_STALE_AFTER", "30s"));
    suite.start();
    api = new Bd3Client(URI.create("http://127.0.0.1:" + suite.port("gateway")), suite.adminKey());
    try {
      r.line(
          "suite: %d workers of each type, topics %s, artifacts %s",
          workers, suite.topics().prefix(), suite.artifacts());
      List<Double> latency = submitToRunning(o.integer("latency-jobs", 10));
      String base = baseRun();

      Thread submitter = new Thread(() -> submitAll(jobs, duplicates, base), "submitter");
      Thread killer = new Thread(() -> killAll(kills, stops, workers), "killer");
      Instant chaosStarted = Instant.now();
      submitter.start();
      killer.start();
      submitter.join();
      long submitting = Duration.between(chaosStarted, Instant.now()).toSeconds();
      killer.join();
      r.line(
          "chaos: %d jobs submitted (%d records sent twice) in %d s, %d kills and stops in %d s",
          submitted.size(),
          doubled.size(),
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
        .put("preset", "micro")
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
   * 20 s each with the restart, fall among them), each with an idempotency key; the records of
   * {@code duplicates} of them, spread evenly, are published a second time.
   */
  private void submitAll(int n, int duplicates, String base) {
    int every = duplicates == 0 ? Integer.MAX_VALUE : Math.max(1, n / duplicates);
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
      boolean twice = i % every == every / 2 && doubled.size() < duplicates;
      String topic = suite.topics().jobs(JobType.parse(type));
      Map<TopicPartition, Long> mark = twice ? endOffsets(topic) : Map.of();
      String id = submitUntilTaken(type, spec, key);
      submitted.put(id, type);
      if (twice) {
        sendAgain(topic, mark, id);
      }
      sleep(Duration.ofMillis(1500 + random.nextInt(2000))); // spread over the kills' window
    }
  }

  private KafkaConsumer<String, String> consumer() {
    return new KafkaConsumer<>(
        Map.of(
            "bootstrap.servers", suite.stackEnv().get("KAFKA_BOOTSTRAP_SERVERS"),
            "key.deserializer", StringDeserializer.class.getName(),
            "value.deserializer", StringDeserializer.class.getName()));
  }

  private Map<TopicPartition, Long> endOffsets(String topic) {
    try (KafkaConsumer<String, String> c = consumer()) {
      return c.endOffsets(
          c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList(),
          Duration.ofSeconds(30));
    } catch (RuntimeException e) {
      r.line("  (cannot mark %s: %s)", topic, e.getMessage());
      return Map.of();
    }
  }

  /** Publishes the run's job record again, as an outbox row sent a second time would be. */
  private void sendAgain(String topic, Map<TopicPartition, Long> mark, String id) {
    if (mark.isEmpty()) {
      return;
    }
    try (KafkaConsumer<String, String> c = consumer();
        KafkaProducer<String, String> producer =
            new KafkaProducer<>(
                Map.of("bootstrap.servers", suite.stackEnv().get("KAFKA_BOOTSTRAP_SERVERS")),
                new StringSerializer(),
                new StringSerializer())) {
      c.assign(mark.keySet());
      mark.forEach(c::seek);
      for (Instant until = Instant.now().plusSeconds(60); Instant.now().isBefore(until); ) {
        for (ConsumerRecord<String, String> rec : c.poll(Duration.ofMillis(500))) {
          if (id.equals(rec.key())) {
            producer.send(new ProducerRecord<>(topic, id, rec.value())).get();
            doubled.add(id);
            return;
          }
        }
      }
      r.line("  (the record of %s did not show in 60 s; not sent twice)", id);
    } catch (Exception e) {
      r.line("  (could not send %s twice: %s)", id, e.getMessage());
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

  /**
   * Kills at random moments: workers most often, the gateway, the broker and the database too; and
   * stops workers gracefully, as a rolling update does.
   */
  private void killAll(int kills, int stops, int workers) {
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
    for (int i = 0; i < stops; i++) {
      String service = List.of("trainer", "trainer", "sampler", "eval").get(i % 4);
      targets.add(STOP + instance(service, workers));
    }
    Collections.shuffle(targets, random);
    for (String target : targets) {
      sleep(Duration.ofSeconds(3 + random.nextInt(8)));
      Instant down = Instant.now();
      boolean graceful = target.startsWith(STOP);
      String instance = graceful ? holderOrElse(target.replace(STOP, "")) : target;
      switch (instance) {
        case "kafka", "postgres" -> suite.stack("kill", instance);
        default -> signal(instance, graceful ? "TERM" : "KILL");
      }
      sleep(Duration.ofSeconds(2 + random.nextInt(6)));
      suite.suite("start"); // the stack and every missing instance
      outages.add(new Outage(instance, down, Instant.now(), graceful));
      r.line(
          "  %s %-10s at %s, back after %d s",
          graceful ? "stopped" : "killed ",
          instance,
          down,
          Duration.between(down, Instant.now()).toSeconds());
    }
  }

  private static final String STOP = "stop:";

  /**
   * The worker instance holding a job now, if one does (a graceful stop matters most there: its job
   * is handed on), else {@code idle}.
   */
  private String holderOrElse(String idle) {
    try {
      List<String> holders = new ArrayList<>();
      for (JsonNode run : api.runs(null, "RUNNING", 100)) {
        String worker = run.path("worker").asText("");
        if (submitted.containsKey(run.path("id").asText()) && worker.startsWith("chaos-")) {
          holders.add(suite.instance(worker)); // a run of this benchmark, on one of its workers
        }
      }
      return holders.isEmpty() ? idle : holders.get(random.nextInt(holders.size()));
    } catch (RuntimeException e) {
      return idle; // the gateway may be down
    }
  }

  private String instance(String service, int count) {
    int i = 1 + random.nextInt(count);
    return i == 1 ? service : service + "-" + i;
  }

  private void signal(String instance, String signal) {
    try {
      suite.signal(instance, signal);
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
    int doubleHolders = doubleHolders();
    long handedBack =
        WorkerLog.read(suite.logs(), "chaos").stream()
            .filter(l -> l.settled() && submitted.containsKey(l.runId()))
            .filter(l -> l.text().contains(": handed back"))
            .count();
    long refused =
        WorkerLog.read(suite.logs(), "chaos").stream()
            .filter(l -> l.settled() && submitted.containsKey(l.runId()))
            .filter(l -> l.text().contains("refused by the gateway"))
            .count();
    r.line(
        "graceful stops: %d, jobs handed back: %d; records sent twice: %d, copies refused: %d",
        outages.stream().filter(Outage::graceful).count(), handedBack, doubled.size(), refused);
    r.line("");
    r.line("runs by status: %s", statuses);
    r.line("kills: %s", outages.stream().map(Outage::instance).toList());
    r.result("jobs", submitted.size());
    r.result("kills", outages.stream().filter(o -> !o.graceful()).count());
    r.result("graceful_stops", outages.stream().filter(Outage::graceful).count());
    r.result("duplicate_records", doubled.size());
    r.result("double_holders", doubleHolders);
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

  /**
   * Runs that two workers held at once: each worked on it from its start until it settled the
   * delivery (a kill ends that too), and neither was refused by the gateway nor lost its lease.
   * Fencing must keep this at 0.
   */
  private int doubleHolders() throws IOException {
    record Hold(String instance, Instant from, Instant to) {}
    List<WorkerLog.Line> lines = new ArrayList<>(WorkerLog.read(suite.logs(), "chaos"));
    Map<String, List<Hold>> holds = new HashMap<>();
    Map<String, WorkerLog.Line> open = new HashMap<>(); // instance -> its started line
    for (WorkerLog.Line l : lines) {
      WorkerLog.Line start = open.get(l.instance());
      if (l.started()) {
        open.put(l.instance(), l);
      } else if (start != null && l.runId() != null && l.runId().equals(start.runId())) {
        open.remove(l.instance());
        boolean fenced =
            l.kind() == WorkerLog.Kind.LOST || l.text().contains("refused by the gateway");
        if (!fenced) {
          holds
              .computeIfAbsent(start.runId(), k -> new ArrayList<>())
              .add(new Hold(l.instance(), start.time(), l.time()));
        }
      }
    }
    for (Outage o : outages) { // a hold ends with its worker
      WorkerLog.Line start = open.get(o.instance());
      if (start != null && start.time().isBefore(o.from())) {
        open.remove(o.instance());
        holds
            .computeIfAbsent(start.runId(), k -> new ArrayList<>())
            .add(new Hold(o.instance(), start.time(), o.from()));
      }
    }
    int runs = 0;
    for (Map.Entry<String, List<Hold>> e : holds.entrySet()) {
      List<Hold> h = e.getValue();
      boolean overlap = false;
      for (int i = 0; i < h.size() && !overlap; i++) {
        for (int j = i + 1; j < h.size() && !overlap; j++) {
          overlap =
              !h.get(i).instance().equals(h.get(j).instance())
                  && h.get(i).from().isBefore(h.get(j).to())
                  && h.get(j).from().isBefore(h.get(i).to());
        }
      }
      if (overlap) {
        runs++;
        r.line("  two holders at once: %s %s", e.getKey(), h);
      }
    }
    return runs;
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
      if (JobType.workers().contains(type)) {
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
        stack.get("BD3_DB_URL") + "_test", stack.get("BD3_DB_USER"), stack.get("BD3_DB_PASSWORD"));
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
