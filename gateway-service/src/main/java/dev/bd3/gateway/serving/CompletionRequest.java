package dev.bd3.gateway.serving;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A request of {@code POST /v1/completions}, in OpenAI's words; the fields after {@code stop} are
 * this suite's extensions (a diffusion model's sampler). Fields other clients send and this server
 * has no use for ({@code user}, {@code stream_options}, ...) are ignored; those that would change
 * the answer and are not supported ({@code echo}, {@code logprobs}, {@code suffix}, {@code
 * best_of}) are refused.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CompletionRequest(
    String model,
    JsonNode prompt,
    @JsonProperty("max_tokens") Integer maxTokens,
    Double temperature,
    @JsonProperty("top_p") Double topP,
    Integer n,
    Boolean stream,
    Long seed,
    JsonNode stop,
    Boolean echo,
    JsonNode logprobs,
    String suffix,
    @JsonProperty("best_of") Integer bestOf,
    String sampler,
    Double confidence,
    @JsonProperty("tokens_per_step") Integer tokensPerStep,
    Integer steps) {

  /** OpenAI's default completion length. */
  static final int DEFAULT_MAX_TOKENS = 16;

  /** The spec field of a sample job that each parameter sets, for errors in the client's words. */
  static String param(String specField) {
    return switch (specField) {
      case "spec.trainRunId", "spec.checkpoint" -> "model";
      case "spec.maxTokens" -> "max_tokens";
      case "spec.topP" -> "top_p";
      case "spec.numSamples" -> "n";
      case "spec.tokensPerStep" -> "tokens_per_step";
      default -> specField.startsWith("spec.") ? specField.substring(5) : specField;
    };
  }
}
