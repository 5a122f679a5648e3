package dev.bd3.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bd3.cli.Bd3Client;
import dev.bd3.testsupport.Fuzzer;
import dev.bd3.testsupport.LocalSuite;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * {@code bench/run fuzz}: generated hostile requests ({@code HostileRequests}) against a gateway of
 * the packaged suite, started for the purpose with no workers (a valid job stays queued instead of
 * running), as no one, a bad key, a reader, a submitter and the admin. Counts 5xx answers, errors
 * that are not problems and changes made by a caller whose roles do not allow them.
 */
final class FuzzBench extends Benchmark {
  FuzzBench(Options options, Report report) {
    super(options, report);
  }

  @Override
  void run() throws Exception {
    int n = o.integer("requests", 5000);
    long seed = o.integer("seed", 1);
    LocalSuite suite =
        new LocalSuite("fuzz", Map.of("TRAINERS", "0", "SAMPLERS", "0", "EVALS", "0"));
    suite.start();
    try {
      URI base = URI.create("http://127.0.0.1:" + suite.port("gateway"));
      String admin = suite.adminKey();
      Bd3Client api = new Bd3Client(base, admin);
      String suffix = UUID.randomUUID().toString().substring(0, 8);
      String reader =
          api.createKey("fuzz-reader-" + suffix, List.of("reader")).path("key").asText();
      String submitter =
          api.createKey("fuzz-submitter-" + suffix, List.of("submitter")).path("key").asText();
      String sentinel = train(api);
      List<String> known = List.of(sentinel, train(new Bd3Client(base, submitter)), train(api));
      List<Fuzzer.Caller> callers = Fuzzer.callers(reader, submitter, admin);
      r.line("gateway %s (no workers), %d requests, seed %d, 5 callers in turn", base, n, seed);
      long started = System.nanoTime();
      Fuzzer.Report report = new Fuzzer(base, admin).run(n, seed, callers, sentinel, known);
      double seconds = (System.nanoTime() - started) / 1e9;
      r.line("answers by status: %s (%.0f requests/s)", report.statuses(), n / seconds);
      r.line(
          "%d refused as too long by the HTTP codec (414/431, before the API: no problem body)",
          report.codecRefusals());
      report.findings().forEach(f -> r.line("  finding: %s", f));
      r.result("requests", report.requests());
      r.result("server_errors", report.serverErrors());
      r.result("errors_without_problem", report.errorsWithoutProblem());
      r.result("unauthorised_changes", report.unauthorisedChanges());
      r.result("codec_refusals", report.codecRefusals());
    } finally {
      suite.stop();
    }
    r.finish();
  }

  private static String train(Bd3Client client) {
    JsonNode spec = Bd3Client.object().put("steps", 1);
    return client.submit("train", spec).path("id").asText();
  }
}
