package dev.bd3.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bd3.model.spec.SamplerRule;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bd3 generate MODEL [PROMPT]}: a completion, printed block by block as it is made. */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = {
      "Continue a prompt with a model (a training run's id or name), printing the text block by"
          + " block as the sampler commits it (POST /v1/completions, streamed).",
      "The usage (tokens, model calls, blocks) goes to standard error."
    })
final class GenerateCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "MODEL", description = "a training run's id or name")
  String model;

  @Parameters(index = "1", arity = "0..1", paramLabel = "PROMPT", description = "the text to go on")
  String prompt = "";

  @Option(names = "--max-tokens", paramLabel = "N", description = "tokens to generate (64)")
  int maxTokens = 64;

  @Option(names = "--temperature", paramLabel = "X", description = "0 = the most likely token")
  Double temperature;

  @Option(names = "--top-p", paramLabel = "X", description = "nucleus filtering")
  Double topP;

  @Option(names = "--seed", paramLabel = "N", description = "seed of the draws")
  Long seed;

  @Option(names = "--stop", paramLabel = "TEXT", description = "stop before this text (repeatable)")
  List<String> stop;

  @Option(names = "--sampler", paramLabel = "RULE", description = "one of " + SamplerRule.NAMES)
  String sampler;

  @Option(names = "--confidence", paramLabel = "X", description = "threshold: the rule's tau")
  Double confidence;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    ObjectNode request = JsonNodeFactory.instance.objectNode();
    request.put("model", model).put("prompt", prompt).put("max_tokens", maxTokens);
    if (temperature != null) {
      request.put("temperature", temperature);
    }
    if (topP != null) {
      request.put("top_p", topP);
    }
    if (seed != null) {
      request.put("seed", seed);
    }
    if (stop != null) {
      stop.forEach(request.putArray("stop")::add);
    }
    if (sampler != null) {
      request.put("sampler", sampler);
    }
    if (confidence != null) {
      request.put("confidence", confidence);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.print(prompt);
    out.flush();
    Main.of(spec)
        .client()
        .complete(
            request,
            chunk -> {
              for (JsonNode choice : chunk.path("choices")) {
                out.print(choice.path("text").asText(""));
              }
              out.flush();
              JsonNode usage = chunk.path("usage");
              if (usage.isObject()) {
                out.println();
                out.flush();
                spec.commandLine()
                    .getErr()
                    .printf(
                        "%d tokens, %d model calls, %d blocks%n",
                        usage.path("completion_tokens").asLong(),
                        usage.path("model_calls").asLong(),
                        usage.path("blocks").asLong());
              }
            });
    return 0;
  }
}
