package dev.bd3.gateway.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bd3.gateway.GatewayConfig;
import dev.bd3.gateway.auth.Caller;
import dev.bd3.gateway.events.RunEvents;
import dev.bd3.gateway.problems.ProblemException;
import dev.bd3.gateway.runs.JobService;
import dev.bd3.gateway.runs.Run;
import dev.bd3.jobs.JobEvent;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.RunStatus;
import io.smallrye.mutiny.Multi;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;

/**
 * Completions as sample runs: each prompt of a request is one run (marked served) of {@code n}
 * samples, submitted as any sample job is (roles, ownership, quotas, admission control), and
 * answered from its events as they come: a choice per sample, in prompt order.
 */
@ApplicationScoped
public class Completions {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  @Inject JobService jobs;
  @Inject RunEvents events;
  @Inject Caller caller;
  @Inject GatewayConfig config;

  /**
   * A request under way: its runs, their events (subscribed before they could start) and choices.
   */
  final class Underway {
    final CompletionRequest request;
    final List<Run> runs = new ArrayList<>();
    final List<Iterator<JobEvent>> feeds = new ArrayList<>();
    final List<Choice> choices = new ArrayList<>();
    final long created = System.currentTimeMillis() / 1000;
    long promptTokens;

    Underway(CompletionRequest request) {
      this.request = request;
    }

    String id() {
      return "cmpl-" + runs.get(0).id;
    }

    /**
     * Follows every run to its end, prompt by prompt, telling {@code onBlock} of each choice that
     * has new text; a run that fails or is cancelled is an error.
     */
    void follow(Consumer<Choice> onBlock) {
      int n = choices.size() / runs.size();
      for (int r = 0; r < runs.size(); r++) {
        Iterator<JobEvent> feed = feeds.get(r);
        while (feed.hasNext()) {
          JobEvent.Payload payload = feed.next().payload();
          if (payload instanceof JobEvent.Block b && b.sample() < n) {
            Choice c = choices.get(r * n + b.sample());
            c.block(b);
            onBlock.accept(c);
          } else if (payload instanceof JobEvent.Sample s && s.index() < n) {
            Choice c = choices.get(r * n + s.index());
            c.sample(s);
            onBlock.accept(c);
          } else if (payload instanceof JobEvent.Metric m && m.name().equals("prompt_tokens")) {
            promptTokens += (long) m.value();
          } else if (payload instanceof JobEvent.Status s && s.status().isTerminal()) {
            if (s.status() != RunStatus.SUCCEEDED) {
              throw ended(runs.get(r), s);
            }
            break;
          }
        }
      }
    }

    /** The usage figures, with this suite's: model calls and blocks. */
    ObjectNode usage() {
      long completion = choices.stream().mapToLong(Choice::tokens).sum();
      ObjectNode usage = JSON.objectNode();
      usage.put("prompt_tokens", promptTokens);
      usage.put("completion_tokens", completion);
      usage.put("total_tokens", promptTokens + completion);
      usage.put("model_calls", choices.stream().mapToLong(Choice::modelCalls).sum());
      usage.put("blocks", choices.stream().mapToLong(Choice::blocks).sum());
      return usage;
    }

    /** The runs that answer the request, by id. */
    ArrayNode runIds() {
      ArrayNode ids = JSON.arrayNode();
      runs.forEach(run -> ids.add(run.id.toString()));
      return ids;
    }
  }

  /** Checks a request and submits its runs; their events are followed from before they start. */
  public Underway start(CompletionRequest request) {
    List<String> prompts = prompts(request.prompt());
    List<String> stops = stops(request.stop());
    refuseUnsupported(request);
    String model = model(request.model());
    int n = request.n() == null ? 1 : request.n();
    Underway underway = new Underway(request);
    try {
      for (String prompt : prompts) {
        underway.runs.add(submit(request, model, prompt, n, underway.feeds::add));
      }
    } catch (RuntimeException e) {
      abandon(underway); // a later prompt refused: the earlier ones' runs answer no one
      throw e;
    }
    for (int i = 0; i < prompts.size() * n; i++) {
      underway.choices.add(new Choice(i, stops));
    }
    return underway;
  }

  /** Cancels what is still running of a request whose client went away. */
  public void abandon(Underway underway) {
    for (Run run : underway.runs) {
      try {
        jobs.cancel(run.id.toString());
      } catch (ProblemException ended) {
        // it ended meanwhile: nothing to stop
      }
    }
  }

  /** Submits one prompt's run; {@code feed} takes its events, subscribed before it could start. */
  private Run submit(
      CompletionRequest r, String model, String prompt, int n, Consumer<Iterator<JobEvent>> feed) {
    ObjectNode spec = JSON.objectNode();
    spec.put("trainRunId", model);
    spec.put("prompt", prompt);
    spec.put("numSamples", n);
    spec.put(
        "maxTokens", r.maxTokens() == null ? CompletionRequest.DEFAULT_MAX_TOKENS : r.maxTokens());
    putIfGiven(spec, "temperature", r.temperature());
    putIfGiven(spec, "topP", r.topP());
    if (r.seed() != null) {
      spec.put("seed", r.seed());
    }
    if (r.sampler() != null) {
      spec.put("sampler", r.sampler());
    }
    putIfGiven(spec, "confidence", r.confidence());
    if (r.tokensPerStep() != null) {
      spec.put("tokensPerStep", r.tokensPerStep());
    }
    if (r.steps() != null) {
      spec.put("steps", r.steps());
    }
    ObjectNode body = JSON.objectNode();
    body.put("type", JobType.SAMPLE.json());
    body.put("timeoutSeconds", config.serving().timeout().toSeconds());
    body.set("spec", spec);
    try {
      return jobs.submit(body, null, true, run -> feed.accept(follow(run))).run();
    } catch (ProblemException e) {
      throw e.renamed(CompletionRequest::param);
    }
  }

  private Iterator<JobEvent> follow(Run run) {
    Multi<JobEvent> events =
        this.events
            .served(run)
            .ifNoItem()
            .after(config.serving().timeout().plus(Duration.ofMinutes(1)))
            .fail();
    return events.subscribe().asIterable().iterator();
  }

  private static void putIfGiven(ObjectNode spec, String field, Double value) {
    if (value != null) {
      spec.put(field, value);
    }
  }

  /** A run id, or the name of the newest training run of that name the caller may read. */
  private String model(String model) {
    if (model == null || model.isBlank()) {
      throw ProblemException.invalid("model", "required: a training run's id or name");
    }
    if (Run.parseId(model).isPresent()) {
      return model.strip();
    }
    return Run.<Run>find("name = ?1 and type = ?2 order by createdAt desc", model, JobType.TRAIN)
        .stream()
        .filter(caller::mayRead)
        .findFirst()
        .map(run -> run.id.toString())
        .orElseThrow(
            () -> ProblemException.notFound("no model (training run) named " + model, "model"));
  }

  private static List<String> prompts(JsonNode prompt) {
    if (prompt == null || prompt.isNull()) {
      return List.of(""); // OpenAI's default: the start of a document
    }
    if (prompt.isTextual()) {
      return List.of(prompt.asText());
    }
    if (prompt.isArray() && !prompt.isEmpty()) {
      List<String> prompts = new ArrayList<>();
      for (JsonNode p : prompt) {
        if (!p.isTextual()) {
          throw ProblemException.invalid(
              "prompt", "a string or a list of strings (token ids are not supported)");
        }
        prompts.add(p.asText());
      }
      return prompts;
    }
    throw ProblemException.invalid("prompt", "a string or a non-empty list of strings");
  }

  private static List<String> stops(JsonNode stop) {
    if (stop == null || stop.isNull()) {
      return List.of();
    }
    List<String> stops = new ArrayList<>();
    for (JsonNode s : stop.isArray() ? stop : JSON.arrayNode().add(stop)) {
      if (!s.isTextual() || s.asText().isEmpty()) {
        throw ProblemException.invalid("stop", "a non-empty string or a list of them");
      }
      stops.add(s.asText());
    }
    if (stops.size() > 4) {
      throw ProblemException.invalid("stop", "at most 4 sequences");
    }
    return stops;
  }

  private static void refuseUnsupported(CompletionRequest r) {
    if (Boolean.TRUE.equals(r.echo())) {
      throw ProblemException.invalid("echo", "not supported");
    }
    if (r.logprobs() != null && !r.logprobs().isNull()) {
      throw ProblemException.invalid("logprobs", "not supported");
    }
    if (r.suffix() != null) {
      throw ProblemException.invalid("suffix", "not supported: the model continues text");
    }
    if (r.bestOf() != null && r.bestOf() != (r.n() == null ? 1 : r.n())) {
      throw ProblemException.invalid("best_of", "not supported (scoring candidates)");
    }
  }

  private static ProblemException ended(Run run, JobEvent.Status status) {
    return new ProblemException(
        status.status() == RunStatus.CANCELLED ? 503 : 500,
        "completion-failed",
        "The completion did not finish",
        "run " + run.id + " " + status.status() + ": " + status.reason(),
        List.of());
  }
}
