package dev.bd3.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bd3.cli.Bd3Client;
import dev.bd3.testsupport.LocalSuite;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code bench/run serving}: streaming clients of {@code POST /v1/completions} at concurrency 1, 4
 * and 16 against a local suite with one sampler. Every level sends the same requests ({@code
 * --requests}, shared out among its clients), each client one after another (prompt, {@code
 * max_tokens}, a seed of its own), reading the stream; the time to first block is from sending the
 * request to the first chunk with text. Tokens per second are the tokens the runs generated over
 * the level's wall time, so the queue, the events and the gateway are counted, as a client sees
 * them. The model is a {@code --preset} model trained for a few steps: its speed, not its text, is
 * measured. The sampler's batch sizes are its runs' {@code batch_requests} metric (requests in each
 * of the run's passes, averaged). Before the first level, {@code --warmup} requests at the highest
 * concurrency are sent and not measured, so that the levels see a server in its steady state: a
 * cold gateway's JIT compiles for over a minute of CPU, which on two cores is charged to the levels
 * it overlaps (measured in bench/RESULTS.md, 2026-12-05).
 */
final class ServingBench extends Benchmark {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http = HttpClient.newHttpClient();
  private URI gateway;
  private String key;
  private Bd3Client api;

  /** One completion as its client saw it. */
  private record Call(double firstBlockMs, double endMs, List<String> runs, long tokens) {}

  /** One concurrency level. */
  private record Level(
      int concurrency, double seconds, long tokens, List<Double> firstBlockMs, List<Double> batch) {
    double tokensPerSecond() {
      return tokens / seconds;
    }
  }

  ServingBench(Options options, Report report) {
    super(options, report);
  }

  @Override
  void run() throws Exception {
    String preset = o.text("preset", "cpu");
    int maxTokens = o.integer("tokens", 128);
    int requests = o.integer("requests", 64);
    int warmup = o.integer("warmup", 256);
    int[] levels =
        Arrays.stream(o.text("concurrency", "1,4,16").split(","))
            .mapToInt(Integer::parseInt)
            .toArray();
    LocalSuite suite = new LocalSuite("serving", Map.of("SAMPLERS", "1"));
    suite.start();
    try {
      gateway = URI.create("http://127.0.0.1:" + suite.port("gateway"));
      key = suite.adminKey();
      api = new Bd3Client(gateway, key);
      String model = train(preset);
      r.line(
          "model: preset %s (run %s); %d requests a level of max_tokens %d, streamed",
          preset, model, requests, maxTokens);
      complete(model, maxTokens, 1000, System.nanoTime()); // loads the model
      int top = Arrays.stream(levels).max().orElse(1);
      level(model, top, warmup, maxTokens);
      r.line("warm-up: %d requests at concurrency %d, not measured", warmup, top);
      List<Level> done = new ArrayList<>();
      r.line("");
      r.line(
          "%-11s %8s %7s %8s %9s %12s %12s %14s",
          "concurrency",
          "requests",
          "tokens",
          "wall s",
          "tokens/s",
          "1st block p50",
          "1st block p99",
          "batch mean/max");
      for (int c : levels) {
        Level level = level(model, c, requests, maxTokens);
        done.add(level);
        r.line(
            "%-11d %8d %7d %8.2f %9.1f %10.0f ms %10.0f ms %8.2f / %.2f",
            c,
            level.firstBlockMs().size(),
            level.tokens(),
            level.seconds(),
            level.tokensPerSecond(),
            percentile(level.firstBlockMs(), 50),
            percentile(level.firstBlockMs(), 99),
            level.batch().stream().mapToDouble(Double::doubleValue).average().orElse(0),
            level.batch().stream().mapToDouble(Double::doubleValue).max().orElse(0));
        r.result("serving_tokens_per_s_c" + c, level.tokensPerSecond());
      }
      Level first = done.get(0);
      r.result("time_to_first_block_ms_p50", percentile(first.firstBlockMs(), 50));
      r.result("time_to_first_block_ms_p99", percentile(first.firstBlockMs(), 99));
      if (done.size() > 1) {
        Level last = done.get(done.size() - 1);
        r.line("");
        r.line(
            "batching gain: %.2f tokens/s at concurrency %d over %d (time to first block: at %d)",
            last.tokensPerSecond() / first.tokensPerSecond(),
            last.concurrency(),
            first.concurrency(),
            first.concurrency());
        r.result("batching_gain", last.tokensPerSecond() / first.tokensPerSecond());
      }
    } finally {
      suite.stop();
    }
    r.finish();
  }

  /** A model of the preset, trained two steps: a checkpoint to serve. */
  private String train(String preset) {
    String id =
        api.submit(
                "train",
                Bd3Client.object()
                    .put("preset", preset)
                    .put("steps", 2)
                    .put("batchSize", 2)
                    .put("checkpointEvery", 2)
                    .put("seed", 1))
            .path("id")
            .asText();
    JsonNode run = api.await(id, Duration.ofMinutes(20), v -> {});
    if (!"SUCCEEDED".equals(run.path("status").asText())) {
      throw new IllegalStateException("training the model to serve failed: " + run);
    }
    return id;
  }

  /** {@code clients} clients sending {@code requests} completions, each its share in turn. */
  private Level level(String model, int clients, int requests, int maxTokens) throws Exception {
    ConcurrentLinkedQueue<Call> calls = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    long start = System.nanoTime();
    List<Future<?>> running = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      int client = c;
      running.add(
          pool.submit(
              () -> {
                for (int i = client; i < requests; i += clients) {
                  calls.add(complete(model, maxTokens, i, start));
                }
                return null;
              }));
    }
    for (Future<?> f : running) {
      f.get();
    }
    pool.shutdown();
    double seconds = calls.stream().mapToDouble(Call::endMs).max().orElse(0) / 1000;
    List<Double> first = new ArrayList<>();
    List<Double> batch = new ArrayList<>();
    long tokens = 0;
    for (Call call : calls) {
      first.add(call.firstBlockMs());
      tokens += call.tokens();
      for (String run : call.runs()) {
        for (JsonNode m : api.metrics(run, "batch_requests")) {
          batch.add(m.path("value").asDouble());
        }
      }
    }
    return new Level(clients, seconds, tokens, first, batch);
  }

  /** One streamed completion; times in ms from {@code origin} (its level's start). */
  private Call complete(String model, int maxTokens, long seed, long origin) throws Exception {
    String body =
        JSON.createObjectNode()
            .put("model", model)
            .put("prompt", "The ")
            .put("max_tokens", maxTokens)
            .put("seed", seed)
            .put("stream", true)
            .toString();
    HttpRequest request =
        HttpRequest.newBuilder(gateway.resolve("/v1/completions"))
            .header("Authorization", "Bearer " + key)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    long sent = System.nanoTime();
    HttpResponse<java.io.InputStream> response =
        http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(
          "completion: HTTP "
              + response.statusCode()
              + " "
              + new String(response.body().readAllBytes(), StandardCharsets.UTF_8));
    }
    double firstBlock = -1;
    List<String> runs = new ArrayList<>();
    long tokens = -1;
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
          continue;
        }
        JsonNode chunk = JSON.readTree(line.substring(6));
        if (chunk.has("error")) {
          throw new IllegalStateException("completion failed: " + chunk);
        }
        for (JsonNode choice : chunk.path("choices")) {
          if (firstBlock < 0 && !choice.path("text").asText().isEmpty()) {
            firstBlock = (System.nanoTime() - sent) / 1e6;
          }
        }
        if (chunk.has("usage")) {
          tokens = chunk.path("usage").path("completion_tokens").asLong();
          chunk.path("runs").forEach(run -> runs.add(run.asText()));
        }
      }
    }
    if (tokens < 0 || firstBlock < 0) {
      throw new IllegalStateException("the stream ended without text or usage");
    }
    return new Call(firstBlock, (System.nanoTime() - origin) / 1e6, runs, tokens);
  }

  private static double percentile(List<Double> values, double p) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int at = (int) Math.ceil(p / 100 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, at)));
  }
}
