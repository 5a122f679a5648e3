package dev.bd3.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.bd3.jobs.CheckpointRef;
import dev.bd3.jobs.EvalSpec;
import dev.bd3.jobs.JobRequest;
import dev.bd3.jobs.JobSpec;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.Json;
import dev.bd3.jobs.RunStatus;
import dev.bd3.jobs.SampleSpec;
import dev.bd3.jobs.TrainSpec;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Submits and cancels jobs: validates what users send, resolves checkpoint references, and stores
 * the run together with its outbox message in one transaction.
 */
@ApplicationScoped
public class JobService {
  private static final Logger LOG = Logger.getLogger(JobService.class);
  private static final int MAX_KEY_LENGTH = 200;

  @Inject Validator validator;
  @Inject GatewayMetrics metrics;
  @Inject GatewayConfig config;
  @Inject Event<OutboxRelay.Written> outboxWritten;

  /** The run a submission stands for; {@code created} is false for a repeated Idempotency-Key. */
  public record Submitted(Run run, boolean created) {}

  /** A spec with its checkpoint references resolved, and the run and checkpoint it reads. */
  private record Resolved(JobSpec spec, UUID parentRunId, Long parentCheckpointId) {}

  @Transactional
  public Submitted submit(JsonNode body, String idempotencyKey) {
    if (idempotencyKey != null) {
      if (idempotencyKey.isBlank() || idempotencyKey.length() > MAX_KEY_LENGTH) {
        throw ProblemException.invalid(
            "Idempotency-Key", "must be 1 to " + MAX_KEY_LENGTH + " characters");
      }
      Optional<Run> first = Run.findByIdempotencyKey(idempotencyKey);
      if (first.isPresent()) {
        return new Submitted(first.get(), false);
      }
    }
    JobSubmission submission = read(body);
    JobType type = JobType.parse(submission.type());
    if (type == null) {
      throw ProblemException.invalid("type", "must be one of train, eval, sample");
    }
    validate(submission, "");
    JobSpec spec = readSpec(type, submission.spec());
    validate(spec, "spec.");
    checkReferences(spec);
    Resolved resolved = resolve(spec);

    Run run = Run.queued(type, submission.name(), json(resolved.spec()), idempotencyKey);
    run.parentRunId = resolved.parentRunId();
    run.parentCheckpointId = resolved.parentCheckpointId();
    // flush now: a concurrent submit with the same key fails here, inside this method
    run.persistAndFlush();
    JobRequest request = new JobRequest(run.id.toString(), type, resolved.spec(), run.createdAt);
    OutboxMessage.enqueue(config.topics().jobs(type), run.id.toString(), json(request));
    outboxWritten.fire(new OutboxRelay.Written());
    metrics.submitted(type);
    LOG.infof("run %s (%s) queued", run.id, type.json());
    return new Submitted(run, true);
  }

  /**
   * Cancels a run: a QUEUED one at once (its job message is dropped if still unsent), a RUNNING one
   * by asking its worker on the control topic; either way the request is published.
   */
  @Transactional
  public Run cancel(String id) {
    Run run =
        Run.parseId(id)
            .map(uuid -> Run.<Run>findById(uuid, LockModeType.PESSIMISTIC_WRITE))
            .orElseThrow(() -> ProblemException.runNotFound(id));
    if (run.isTerminal()) {
      throw ProblemException.conflict("run " + run.id + " has already ended: " + run.status);
    }
    String key = run.id.toString();
    if (run.status == RunStatus.QUEUED) {
      run.finish(RunStatus.CANCELLED, Run.now(), "cancelled before it started");
      OutboxMessage.dropUnsent(config.topics().jobs(run.type), key);
    }
    OutboxMessage.enqueue(config.topics().control(), key, key);
    outboxWritten.fire(new OutboxRelay.Written());
    LOG.infof("run %s: cancellation requested (%s)", run.id, run.status);
    return run;
  }

  private static JobSubmission read(JsonNode body) {
    if (body == null || body.isMissingNode() || body.isNull()) {
      throw ProblemException.invalid("body", "a JSON object is required");
    }
    try {
      return strict(JobSubmission.class).readValue(body);
    } catch (JsonProcessingException e) {
      throw ProblemMapper.fromJson(e, "");
    } catch (IOException e) {
      throw ProblemException.invalid("body", e.getMessage());
    }
  }

  /** The spec as its type's record; unknown fields are errors, a missing spec means defaults. */
  private static JobSpec readSpec(JobType type, JsonNode spec) {
    JsonNode node = spec == null || spec.isNull() ? JsonNodeFactory.instance.objectNode() : spec;
    if (!node.isObject()) {
      throw ProblemException.invalid("spec", "must be a JSON object");
    }
    try {
      return strict(type.specClass()).readValue(node);
    } catch (JsonProcessingException e) {
      throw ProblemMapper.fromJson(e, "spec");
    } catch (IOException e) {
      throw ProblemException.invalid("spec", e.getMessage());
    }
  }

  private static ObjectReader strict(Class<?> type) {
    return Json.mapper()
        .readerFor(type)
        .with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .with(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .without(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
  }

  private <T> void validate(T object, String prefix) {
    Set<ConstraintViolation<T>> violations = validator.validate(object);
    if (violations.isEmpty()) {
      return;
    }
    // a record component's constraint may be reported twice (field and type use): keep one
    Set<Problem.FieldError> errors = new LinkedHashSet<>();
    violations.stream()
        .map(v -> new Problem.FieldError(prefix + v.getPropertyPath(), v.getMessage()))
        .sorted(Comparator.comparing(Problem.FieldError::field))
        .forEach(errors::add);
    throw ProblemException.invalid(new ArrayList<>(errors));
  }

  /**
   * Rules across fields: eval and sample jobs read a checkpoint named by URI or by training run,
   * not both; a training job's shape must make a model.
   */
  private static void checkReferences(JobSpec spec) {
    List<Problem.FieldError> errors = new ArrayList<>();
    if (spec instanceof CheckpointRef ref) {
      if (ref.checkpoint() == null && ref.trainRunId() == null) {
        errors.add(
            new Problem.FieldError("spec.trainRunId", "trainRunId or checkpoint is required"));
      } else if (ref.checkpoint() != null && ref.trainRunId() != null) {
        errors.add(
            new Problem.FieldError("spec.checkpoint", "give checkpoint or trainRunId, not both"));
      } else if (ref.checkpoint() != null && ref.checkpoint().isBlank()) {
        errors.add(new Problem.FieldError("spec.checkpoint", "must not be blank"));
      }
      if (ref.checkpointStep() != null && ref.trainRunId() == null) {
        errors.add(new Problem.FieldError("spec.checkpointStep", "only goes with trainRunId"));
      }
    }
    if (spec instanceof TrainSpec train) {
      train.shapeErrors().forEach((f, m) -> errors.add(new Problem.FieldError("spec." + f, m)));
    }
    if (spec instanceof EvalSpec eval
        && eval.judgeRunId() != null
        && eval.judgeCheckpoint() != null) {
      errors.add(
          new Problem.FieldError(
              "spec.judgeCheckpoint", "give judgeCheckpoint or judgeRunId, not both"));
    }
    if (!errors.isEmpty()) {
      throw ProblemException.invalid(errors);
    }
  }

  private static Resolved resolve(JobSpec spec) {
    if (!(spec instanceof CheckpointRef ref)) {
      return new Resolved(spec, null, null);
    }
    Checkpoint checkpoint =
        ref.trainRunId() != null
            ? checkpointOf(ref.trainRunId(), ref.checkpointStep(), "spec.trainRunId")
            : Checkpoint.findByUri(ref.checkpoint()).orElse(null);
    String uri = ref.trainRunId() != null ? checkpoint.uri : ref.checkpoint();
    UUID parentRun = checkpoint == null ? null : checkpoint.runId;
    Long parentCheckpoint = checkpoint == null ? null : checkpoint.id;
    // records are immutable: rebuild the spec with the resolved URIs
    JobSpec resolved = spec;
    if (spec instanceof EvalSpec e) {
      String judge =
          e.judgeRunId() != null
              ? checkpointOf(e.judgeRunId(), null, "spec.judgeRunId").uri
              : e.judgeCheckpoint();
      resolved =
          new EvalSpec(
              e.trainRunId(),
              e.checkpointStep(),
              uri,
              e.split(),
              e.maxSequences(),
              e.mcDraws(),
              e.genSamples(),
              e.judgeRunId(),
              judge,
              e.useEma(),
              e.seed());
    } else if (spec instanceof SampleSpec s) {
      resolved =
          new SampleSpec(
              s.trainRunId(),
              s.checkpointStep(),
              uri,
              s.numSamples(),
              s.maxTokens(),
              s.sampler(),
              s.steps(),
              s.topP(),
              s.tokensPerStep(),
              s.prompt(),
              s.stopOnEos(),
              s.entropyThreshold(),
              s.useEma(),
              s.seed());
    }
    return new Resolved(resolved, parentRun, parentCheckpoint);
  }

  /** The newest checkpoint of a run (or the one at {@code step}): 404 no run, 409 no checkpoint. */
  private static Checkpoint checkpointOf(String runId, Long step, String field) {
    Run run =
        Run.findByIdText(runId)
            .orElseThrow(() -> ProblemException.notFound("no run with id " + runId, field));
    Optional<Checkpoint> checkpoint =
        step == null ? Checkpoint.newest(run.id) : Checkpoint.atStep(run.id, step);
    return checkpoint.orElseThrow(
        () ->
            ProblemException.conflict(
                step == null
                    ? "run " + run.id + " has no checkpoint yet"
                    : "run " + run.id + " has no checkpoint at step " + step));
  }

  private static String json(Object value) {
    try {
      return Json.mapper().writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
