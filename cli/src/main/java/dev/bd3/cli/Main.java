package dev.bd3.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;

/**
 * {@code bd3} on the command line:
 *
 * <pre>
 *   bd3 [--api URL] demo [--steps N]      train -> eval -> sample, then print text and perplexity
 *   bd3 [--api URL] submit TYPE SPEC_JSON  submit a job, print its run
 *   bd3 [--api URL] get ID | wait ID | cancel ID | runs
 * </pre>
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    String api = System.getenv().getOrDefault("BD3_API", "http://127.0.0.1:8080");
    int i = 0;
    if (args.length > 1 && args[0].equals("--api")) {
      api = args[1];
      i = 2;
    }
    if (args.length <= i) {
      System.err.println(
          "usage: bd3 [--api URL] demo [--steps N] | submit TYPE SPEC | get ID | wait ID | cancel ID | runs");
      System.exit(2);
    }
    Bd3Client client = new Bd3Client(URI.create(api));
    try {
      switch (args[i]) {
        case "demo" ->
            new Demo(client, api, args.length > i + 2 ? Integer.parseInt(args[i + 2]) : 300).run();
        case "submit" ->
            print(
                client.submit(
                    args[i + 1], Bd3Client.parse(args.length > i + 2 ? args[i + 2] : "{}")));
        case "get" -> print(client.run(args[i + 1]));
        case "wait" -> print(client.await(args[i + 1], Duration.ofDays(7), Main::progress));
        case "cancel" -> print(client.cancel(args[i + 1]));
        case "runs" -> print(client.runs());
        default -> {
          System.err.println("unknown command " + args[i]);
          System.exit(2);
        }
      }
    } catch (Bd3Client.ApiException e) {
      System.err.println(e.problem().toPrettyString());
      System.exit(1);
    } catch (RuntimeException e) {
      System.err.println("bd3: " + e.getMessage());
      System.exit(1);
    }
  }

  private static String lastProgress = "";

  /**
   * A run's progress: rewritten in place on a terminal, one line per change when the output goes to
   * a file.
   */
  static void progress(JsonNode run) {
    JsonNode p = run.path("progress");
    String line =
        String.format(
            Locale.ROOT,
            "  %-9s %6d/%-6d %s",
            run.path("status").asText(),
            p.path("step").asLong(),
            p.path("total").asLong(),
            p.hasNonNull("etaSeconds")
                ? String.format(Locale.ROOT, "eta %.0f s", p.path("etaSeconds").asDouble())
                : "");
    if (!line.equals(lastProgress)) {
      lastProgress = line;
      System.out.print(System.console() != null ? "\r" + line + "   " : line + "\n");
      System.out.flush();
    }
  }

  private static void print(JsonNode json) {
    System.out.println(json.toPrettyString());
  }
}
