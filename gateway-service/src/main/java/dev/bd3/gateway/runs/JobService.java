package dev.bd3.gateway.runs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.bd3.gateway.GatewayConfig;
import dev.bd3.gateway.GatewayMetrics;
import dev.bd3.gateway.auth.Caller;
import dev.bd3.gateway.auth.Role;
import dev.bd3.gateway.datasets.Datasets;
import dev.bd3.gateway.problems.Problem;
import dev.bd3.gateway.problems.ProblemException;
import dev.bd3.gateway.problems.ProblemMapper;
import dev.bd3.gateway.queue.JobDispatcher;
import dev.bd3.gateway.queue.OutboxMessage;
import dev.bd3.gateway.queue.OutboxRelay;
import dev.bd3.jobs.CheckpointRef;
import dev.bd3.jobs.EvalSpec;
import dev.bd3.jobs.JobSpec;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.Json;
import dev.bd3.jobs.RunStatus;
import dev.bd3.jobs.SampleSpec;
import dev.bd3.jobs.SpecValidation;
import dev.bd3.jobs.SpecViolation;
import dev.bd3.jobs.TrainSpec;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import jakarta.validation.Validator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
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
  @Inject RunFinisher finisher;
  @Inject JobDispatcher dispatcher;
  @Inject Caller caller;
  @Inject Quotas quotas;
  @Inject PoolLimits limits;
  @Inject Datasets datasets;

  /** The run a submission stands for; {@code created} is false for a repeated Idempotency-Key. */
  public record Submitted(Run run, boolean created) {}

  /** A spec as it will run, the model it trains or reads, and the run and checkpoint it reads. */
  private record Effective(
      JobSpec spec, TrainSpec model, UUID parentRunId, Long parentCheckpointId) {}

  @Transactional
  public Submitted submit(JsonNode body, String idempotencyKey) {
    return submit(body, idempotencyKey, false, run -> {});
  }

  /**
   * Submits a job; {@code served} marks a sample run made to answer a completion request ({@code
   * POST /v1/completions}), held to the same roles, quotas and admission control. {@code created}
   * sees the new run before the transaction commits: before any worker could report on it.
   */
  @Transactional
  public Submitted submit(
      JsonNode body, String idempotencyKey, boolean served, Consumer<Run> created) {
    if (idempotencyKey != null) {
      if (idempotencyKey.isBlank() || idempotencyKey.length() > MAX_KEY_LENGTH) {
        throw ProblemException.invalid(
            "Idempotency-Key", "must be 1 to " + MAX_KEY_LENGTH + " characters");
      }
      Optional<Run> first = Run.findByIdempotencyKey(caller.name(), idempotencyKey);
      if (first.isPresent()) {
        return new Submitted(first.get(), false);
      }
    }
    JobSubmission submission = read(body);
    JobType type = JobType.parse(submission.type());
    if (type == null) {
      throw ProblemException.invalid("type", "must be one of " + JobType.names());
    }
    validate(submission);
    JobSpec spec = readSpec(type, submission.spec());
    List<SpecViolation> violations = new ArrayList<>(SpecValidation.violations(spec));
    if (spec instanceof CheckpointRef ref) {
      violations.addAll(ref.referenceViolations());
    }
    if (!violations.isEmpty()) {
      throw ProblemException.invalid(
          violations.stream()
              .map(v -> new Problem.FieldError("spec." + v.field(), v.message()))
              .distinct()
              .sorted(Comparator.comparing(Problem.FieldError::field))
              .toList());
    }
    Duration timeout = timeout(submission);
    Effective effective = effective(spec);
    limits.admit(type, effective.spec(), effective.model());
    if (!caller.is(Role.ADMIN)) { // operators (the demo, the chaos benchmark) are not held
      quotas.admit(caller.name(), effective.spec());
    }

    Run run = Run.queued(type, submission.name(), json(effective.spec()), idempotencyKey);
    run.owner = caller.name();
    run.deadline = run.createdAt.plus(timeout);
    run.parentRunId = effective.parentRunId();
    run.parentCheckpointId = effective.parentCheckpointId();
    run.served = served;
    // flush now: a concurrent submit with the same key fails here, inside this method
    run.persistAndFlush();
    created.accept(run);
    dispatcher.publish(run, 0);
    metrics.submitted(type);
    LOG.infof("run %s (%s) queued", run.id, type.json());
    return new Submitted(run, true);
  }

  /**
   * Cancels a run: a QUEUED one at once (its job message is dropped if still unsent), a RUNNING one
   * by asking its worker on the control topic, or at once when its worker is lost; the request is
   * published either way, and a run ended here ends its event streams too.
   */
  @Transactional
  public Run cancel(String id) {
    Run run =
        Run.parseId(id)
            .map(uuid -> Run.<Run>findById(uuid, LockModeType.PESSIMISTIC_WRITE))
            .filter(caller::mayRead)
            .orElseThrow(() -> ProblemException.runNotFound(id));
    if (!caller.mayCancel(run)) {
      throw ProblemException.forbidden("run " + run.id + " is another's: only an admin cancels it");
    }
    if (run.isTerminal()) {
      throw ProblemException.conflict("run " + run.id + " has already ended: " + run.status);
    }
    String key = run.id.toString();
    if (run.status == RunStatus.QUEUED) {
      finisher.end(run, RunStatus.CANCELLED, "cancelled before it started");
      OutboxMessage.dropUnsent(config.topics().jobs(run.type), key);
    } else if (run.workerLost(config.runs().staleAfter())) {
      finisher.end(run, RunStatus.CANCELLED, "worker lost");
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
    return ProblemMapper.readStrict(body, JobSubmission.class, "");
  }

  /** The spec as its type's record; unknown fields are errors, a missing spec means defaults. */
  private static JobSpec readSpec(JobType type, JsonNode spec) {
    JsonNode node = spec == null || spec.isNull() ? JsonNodeFactory.instance.objectNode() : spec;
    if (!node.isObject()) {
      throw ProblemException.invalid("spec", "must be a JSON object");
    }
    return ProblemMapper.readStrict(node, type.specClass(), "spec");
  }

  /** The job's time limit: the default, or the one asked for up to the largest allowed. */
  private Duration timeout(JobSubmission submission) {
    Duration max = config.jobs().maxTimeout();
    if (submission.timeoutSeconds() == null) {
      return config.jobs().defaultTimeout();
    }
    if (submission.timeoutSeconds() > max.toSeconds()) {
      throw ProblemException.invalid(
          "timeoutSeconds", "must be at most " + max.toSeconds() + " (" + max + ")");
    }
    return Duration.ofSeconds(submission.timeoutSeconds());
  }

  /** The envelope's own rules (the name's length); the spec has {@link SpecValidation}. */
  private void validate(JobSubmission submission) {
    List<Problem.FieldError> errors =
        validator.validate(submission).stream()
            .map(v -> new Problem.FieldError(v.getPropertyPath().toString(), v.getMessage()))
            .distinct()
            .sorted(Comparator.comparing(Problem.FieldError::field))
            .toList();
    if (!errors.isEmpty()) {
      throw ProblemException.invalid(errors);
    }
  }

  /**
   * The spec as it will run: checkpoint references resolved to recorded URIs, a dataset to its
   * text's sha256, and every default filled in (a sample's depend on the block size of the model it
   * reads).
   */
  private Effective effective(JobSpec spec) {
    if (spec instanceof TrainSpec submitted) {
      TrainSpec train = submitted.readsDataset() ? datasets.reading(submitted) : submitted;
      if (train.initFrom() != null) {
        CheckpointRecord init = recorded(train.initFrom(), "spec.initFrom");
        TrainSpec initShape = Run.<Run>findById(init.runId).trainSpec();
        if (!initShape.sameWeightShapes(train)) {
          throw ProblemException.invalid(
              "spec.initFrom",
              "the checkpoint's model has another shape (layers, width, heads, tokenizer, adaLN,"
                  + " causal): "
                  + shape(initShape)
                  + " against "
                  + shape(train));
        }
      }
      return new Effective(train.resolved(), train.resolved(), null, null);
    }
    CheckpointRef ref = (CheckpointRef) spec;
    CheckpointRecord checkpoint =
        ref.trainRunId() != null
            ? checkpointOf(ref.trainRunId(), ref.checkpointStep(), "spec.trainRunId")
            : recorded(ref.checkpoint(), "spec.checkpoint");
    Run trained = Run.findById(checkpoint.runId);
    TrainSpec model = trained.trainSpec();
    refuseBlockSamplingOfCausal(spec, model, ref.trainRunId() != null);
    JobSpec effective =
        spec instanceof EvalSpec e
            ? evaluation(e, checkpoint, trained)
            : ((SampleSpec) spec).reading(checkpoint.uri).resolved(model.blockSize());
    return new Effective(effective, model, checkpoint.runId, checkpoint.id);
  }

  /**
   * The reference's causal model predicts the next token; the samplers decode blocks by diffusion,
   * so a sample job, or an evaluation that generates, must read a diffusion model.
   */
  private static void refuseBlockSamplingOfCausal(JobSpec spec, TrainSpec model, boolean byRun) {
    if (!model.resolved().causal()) {
      return;
    }
    String why = "is the reference's causal model; sampling decodes blocks by diffusion";
    if (spec instanceof SampleSpec) {
      throw ProblemException.invalid(
          byRun ? "spec.trainRunId" : "spec.checkpoint", "the model " + why);
    }
    if (spec instanceof EvalSpec e && e.resolved().genSamples() > 0) {
      throw ProblemException.invalid(
          "spec.genSamples", "must be 0: the evaluated model " + why + " (it may be a judge)");
    }
  }

  /**
   * An evaluation as it will run: its checkpoints resolved and its held-out text, when a dataset,
   * pinned to its sha256. A model imported rather than trained here has no training text to score
   * by default: the spec must name one.
   */
  private EvalSpec evaluation(EvalSpec e, CheckpointRecord checkpoint, Run trained) {
    if (e.corpus() == null && trained.importedSha256 != null) {
      throw ProblemException.invalid(
          "spec.corpus",
          "run "
              + trained.id
              + " is an imported model, trained on text this suite does not know: name the"
              + " held-out text (europarl or a dataset's id)");
    }
    EvalSpec reading = e.reading(checkpoint.uri, judge(e, trained.trainSpec()));
    if (e.readsDataset()) {
      int context = trained.trainSpec().contextLength();
      reading = reading.withCorpusSha256(datasets.sha256Of(e.corpus(), e.corpusSha256(), context));
    }
    return reading.resolved();
  }

  /**
   * The judge's checkpoint URI: it must be an autoregressive model (block size 1, diffusion or
   * causal) reading the evaluated model's tokens.
   */
  private String judge(EvalSpec e, TrainSpec evaluated) {
    if (e.judgeRunId() == null && e.judgeCheckpoint() == null) {
      return null;
    }
    String field = e.judgeRunId() != null ? "spec.judgeRunId" : "spec.judgeCheckpoint";
    CheckpointRecord judge =
        e.judgeRunId() != null
            ? checkpointOf(e.judgeRunId(), null, field)
            : recorded(e.judgeCheckpoint(), field);
    TrainSpec judgeModel = Run.<Run>findById(judge.runId).trainSpec().resolved();
    if (judgeModel.blockSize() != 1) {
      throw ProblemException.invalid(
          field,
          "the judge must be an autoregressive model (blockSize 1); this one has blockSize "
              + judgeModel.blockSize());
    }
    if (judgeModel.vocabulary() != evaluated.vocabulary()) {
      throw ProblemException.invalid(
          field,
          "the judge reads "
              + judgeModel.tokenizer()
              + " tokens; the evaluated model writes "
              + evaluated.vocabulary().json());
    }
    return judge.uri;
  }

  /**
   * A checkpoint the gateway has recorded (only those are known to exist and to fit a run) of a run
   * the caller may read; another's is as unknown as one that does not exist.
   */
  private CheckpointRecord recorded(String uri, String field) {
    return CheckpointRecord.findByUri(uri)
        .filter(c -> caller.mayRead(Run.<Run>findById(c.runId)))
        .orElseThrow(() -> ProblemException.notFound("no checkpoint recorded at " + uri, field));
  }

  private static String shape(TrainSpec spec) {
    TrainSpec r = spec.resolved();
    return r.layers()
        + " x "
        + r.width()
        + " with "
        + r.heads()
        + " heads, "
        + r.tokenizer()
        + ", condDim "
        + r.condDim()
        + (r.causal() ? ", causal" : "");
  }

  /** The newest checkpoint of a run (or the one at {@code step}): 404 no run, 409 no checkpoint. */
  private CheckpointRecord checkpointOf(String runId, Long step, String field) {
    Run run =
        Run.findByIdText(runId)
            .filter(caller::mayRead)
            .orElseThrow(() -> ProblemException.notFound("no run with id " + runId, field));
    Optional<CheckpointRecord> checkpoint =
        step == null ? CheckpointRecord.newest(run.id) : CheckpointRecord.atStep(run.id, step);
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
