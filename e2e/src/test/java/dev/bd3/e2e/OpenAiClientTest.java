package dev.bd3.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bd3.cli.Bd3Client;
import dev.bd3.testsupport.LocalStack;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The suite's OpenAI-compatible API driven by OpenAI's own client library (the npm package, as
 * {@code e2e/openai-client/package-lock.json} pins it) against the running suite and a model it
 * trained: a completion, the same completion streamed (the same text: the seed fixes the draws),
 * the models list, and an error the client reads as OpenAI's. Runs wherever npm is (a Maven profile
 * installs the client).
 */
@ExtendWith(SharedSuite.class)
class OpenAiClientTest {
  private static final Path CLIENT = LocalStack.root().resolve("e2e/openai-client");

  @Test
  void theOfficialClientCompletesStreamsAndListsModels(Suite suite) throws Exception {
    Bd3Client api = suite.client();
    String model =
        api.submit(
                "train",
                Bd3Client.object()
                    .put("preset", "micro")
                    .put("steps", 30)
                    .put("checkpointEvery", 30)
                    .put("seed", 11))
            .path("id")
            .asText();
    JsonNode trained = api.await(model, Duration.ofMinutes(10), v -> {});
    assertEquals("SUCCEEDED", trained.path("status").asText(), trained.toString());

    JsonNode out = run(suite.api() + "/v1", suite.adminKey(), model);
    JsonNode plain = out.path("plain");
    assertEquals("text_completion", plain.path("object").asText());
    JsonNode choice = plain.path("choices").get(0);
    assertTrue(
        List.of("stop", "length").contains(choice.path("finish_reason").asText()),
        plain.toString());
    assertTrue(plain.path("usage").path("completion_tokens").asInt() > 0, plain.toString());
    assertTrue(plain.path("usage").path("model_calls").asInt() > 0, plain.toString());

    StringBuilder streamed = new StringBuilder();
    JsonNode chunks = out.path("chunks");
    for (JsonNode chunk : chunks) {
      for (JsonNode c : chunk.path("choices")) {
        streamed.append(c.path("text").asText());
      }
    }
    assertTrue(chunks.size() >= 2, "chunks of blocks, then the usage: " + chunks);
    assertEquals(choice.path("text").asText(), streamed.toString(), "the same seed, the same text");
    assertTrue(chunks.get(chunks.size() - 1).path("usage").isObject(), chunks.toString());

    boolean listed = false;
    for (JsonNode id : out.path("models")) {
      listed |= id.asText().equals(model);
    }
    assertTrue(listed, out.path("models").toString());
    JsonNode error = out.path("error");
    assertEquals(404, error.path("status").asInt(), error.toString());
    assertEquals("model", error.path("param").asText(), error.toString());
    assertEquals("NotFoundError", error.path("name").asText(), error.toString());
  }

  private static JsonNode run(String baseUrl, String key, String model) throws Exception {
    Process process =
        new ProcessBuilder("node", "complete.mjs", baseUrl, key, model)
            .directory(CLIENT.toFile())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    process.getOutputStream().close();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.waitFor(), out);
    return Bd3Client.parse(out.strip());
  }
}
