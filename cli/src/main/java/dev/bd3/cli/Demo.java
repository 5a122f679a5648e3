package dev.bd3.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/** The quick-start demo: train a small BD3-LM, evaluate its newest checkpoint, sample text. */
final class Demo {
  private static final String PROMPT = "The Commission ";

  private final Bd3Client client;
  private final String api;
  private final int steps;
  private final PrintWriter out;
  private final boolean terminal;

  Demo(Bd3Client client, String api, int steps, PrintWriter out, boolean terminal) {
    this.client = client;
    this.api = api;
    this.steps = steps;
    this.out = out;
    this.terminal = terminal;
  }

  void run() {
    say("training a BD3-LM (block size 4, 4 layers x 128) for " + steps + " steps on Europarl");
    JsonNode train =
        submitAndWait(
            "train",
            Bd3Client.object()
                .put("preset", "cpu")
                .put("blockSize", 4)
                .put("steps", steps)
                .put("seed", 1));
    String trainId = train.path("id").asText();

    say("evaluating its newest checkpoint on the test split");
    JsonNode eval =
        submitAndWait(
            "eval", Bd3Client.object().put("trainRunId", trainId).put("maxSequences", 64));

    say("generating text block by block with the KV cache");
    JsonNode sample =
        submitAndWait(
            "sample",
            Bd3Client.object()
                .put("trainRunId", trainId)
                .put("numSamples", 2)
                .put("maxTokens", 300)
                .put("prompt", PROMPT));

    out.println();
    for (JsonNode r : eval.path("evalResults")) {
      if (r.path("metric").asText().equals("ppl")) {
        out.printf(
            Locale.ROOT,
            "test perplexity (NELBO upper bound): %.2f   (uniform over the vocabulary: 259)%n",
            r.path("value").asDouble());
      }
    }
    for (JsonNode s : sample.path("samples")) {
      out.printf(
          Locale.ROOT,
          "%nsample %d (%d tokens, stopped by %s, NFE %d):%n  %s%s%n",
          s.path("index").asInt(),
          s.path("tokens").asInt(),
          s.path("stopReason").asText(),
          s.path("nfe").asInt(),
          PROMPT,
          s.path("text").asText());
    }
    out.printf(
        Locale.ROOT,
        "%nruns:       train %s, eval %s, sample %s%ndashboard:  %s/%nAPI:        %s/api/v1/runs"
            + "   OpenAPI: %s/q/openapi   Swagger UI: %s/q/swagger-ui%n",
        trainId,
        eval.path("id").asText(),
        sample.path("id").asText(),
        api,
        api,
        api,
        api);
  }

  private JsonNode submitAndWait(String type, JsonNode spec) {
    String id = client.submit(type, spec).path("id").asText();
    ProgressBar bar = new ProgressBar(out, terminal);
    JsonNode done = client.await(id, Duration.ofHours(2), bar::show);
    bar.finish();
    if (!done.path("status").asText().equals("SUCCEEDED")) {
      throw new IllegalStateException(
          type + " run " + id + " ended " + done.path("status") + ": " + done.path("error"));
    }
    return done;
  }

  private void say(String line) {
    out.println("[demo] " + line);
    out.flush();
  }
}
