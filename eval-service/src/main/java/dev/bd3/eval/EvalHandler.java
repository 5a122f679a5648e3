package dev.bd3.eval;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.bd3.jobs.EvalSpec;
import dev.bd3.jobs.JobRequest;
import dev.bd3.jobs.JobType;
import dev.bd3.model.data.Corpus;
import dev.bd3.model.eval.GenerativePerplexity;
import dev.bd3.model.eval.PerplexityEvaluator;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.sample.BlockSampler;
import dev.bd3.model.sample.GeneratedSample;
import dev.bd3.model.sample.SamplerConfig;
import dev.bd3.model.train.Checkpoint;
import dev.bd3.model.train.CheckpointMeta;
import dev.bd3.worker.ArtifactStore;
import dev.bd3.worker.JobContext;
import dev.bd3.worker.JobFailure;
import dev.bd3.worker.JobHandler;
import dev.bd3.worker.SampleSpecs;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Evaluates a checkpoint on the held-out split of the corpus it was trained on, or of the one the
 * job names: the NELBO and the perplexity bound it gives. With {@code genSamples}, also generates
 * samples and reports their unigram entropy, NFE and, given an autoregressive judge checkpoint,
 * generative perplexity.
 */
@ApplicationScoped
public class EvalHandler implements JobHandler {
  private static final Logger LOG = Logger.getLogger(EvalHandler.class);

  @Override
  public JobType type() {
    return JobType.EVAL;
  }

  @Override
  public void run(JobRequest job, JobContext context) {
    EvalSpec spec = ((EvalSpec) job.spec()).resolved();
    String uri = spec.checkpoint();
    try (NDManager manager = Engine.getInstance().newBaseManager()) {
      Checkpoint checkpoint = Checkpoint.read(context.artifact(uri), manager);
      Bd3Lm model = checkpoint.model(manager, spec.useEma());
      Corpus corpus = heldOut(spec, checkpoint.meta(), context);
      PerplexityEvaluator.Result r =
          PerplexityEvaluator.evaluate(
              model,
              corpus
                  .tokens(model.config().tokenizer(), context.artifacts().tokens())
                  .split(spec.split()),
              spec.maxSequences(),
              spec.batchSize(),
              spec.mcDraws(),
              spec.seed(),
              manager);
      context.evalResult(uri, "nelbo", r.nelbo());
      context.evalResult(uri, "ppl", r.perplexity());
      context.evalResult(uri, "bits_per_byte", r.bitsPerByte());
      context.evalResult(uri, "tokens", r.tokens());
      context.evalResult(uri, "bytes", r.bytes());
      context.evalResult(uri, "mc_draws", r.draws());
      if (r.draws() > 1) {
        context.evalResult(uri, "nelbo_std_error", r.stdError());
      }
      LOG.infof(
          "run %s: %s %s PPL <= %.3f per token (%s), %.4f bits per byte, over %d tokens",
          job.runId(),
          uri,
          spec.split(),
          r.perplexity(),
          model.config().tokenizer().name(),
          r.bitsPerByte(),
          r.tokens());
      if (spec.genSamples() > 0 && !context.cancelled()) {
        generative(spec, uri, model, spec.genSamples(), context, manager);
      }
    }
  }

  /**
   * The text whose held-out split is scored: the spec's corpus when it names one, else the one the
   * checkpoint was trained on (an imported model names none); refused unless it is the text
   * recorded for it.
   */
  private static Corpus heldOut(EvalSpec spec, CheckpointMeta trained, JobContext context) {
    boolean named = spec.corpus() != null;
    String name = named ? spec.corpus() : trained.corpus();
    String sha256 = named ? spec.corpusSha256() : trained.corpusSha256();
    if (name == null) {
      throw new JobFailure(
          "the checkpoint names no training text (an imported model): the job must name a corpus");
    }
    Corpus corpus = Corpus.open(name, sha256, context::dataset);
    ArtifactStore.verify("corpus " + corpus.name(), corpus.sha256(), sha256);
    return corpus;
  }

  private static void generative(
      EvalSpec spec, String uri, Bd3Lm model, int n, JobContext context, NDManager manager) {
    // a sample job's defaults, one context length long
    SamplerConfig config =
        SampleSpecs.defaultSampler(
            model.config().blockSize(), model.config().contextLength(), spec.seed());
    List<GeneratedSample> samples =
        BlockSampler.cached(model, config)
            .generate(n, new int[0], manager, BlockSampler.Listener.NONE)
            .samples();
    context.evalResult(
        uri,
        "gen_entropy",
        samples.stream().mapToDouble(GeneratedSample::entropy).average().orElse(0));
    context.evalResult(
        uri, "gen_nfe", samples.stream().mapToInt(GeneratedSample::nfe).average().orElse(0));
    context.evalResult(
        uri, "gen_length", samples.stream().mapToInt(s -> s.tokens().length).average().orElse(0));
    if (spec.judgeCheckpoint() != null) {
      Bd3Lm judge =
          Checkpoint.read(context.artifact(spec.judgeCheckpoint()), manager).model(manager, true);
      List<int[]> tokens =
          samples.stream().map(GeneratedSample::tokens).filter(t -> t.length > 0).toList();
      context.evalResult(
          uri, "gen_ppl", GenerativePerplexity.judge(judge, tokens, manager).meanPerplexity());
    }
  }
}
