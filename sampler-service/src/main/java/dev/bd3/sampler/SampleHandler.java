package dev.bd3.sampler;

import dev.bd3.jobs.JobRequest;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.SampleSpec;
import dev.bd3.model.data.Tokenizer;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.sample.BlockSampler;
import dev.bd3.model.sample.GeneratedSample;
import dev.bd3.worker.JobContext;
import dev.bd3.worker.JobHandler;
import dev.bd3.worker.SampleSpecs;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.jboss.logging.Logger;

/**
 * Generates text from a checkpoint, block by block with a KV cache, in the decode batch of its
 * model ({@link DecodeBatches}) beside the other jobs this worker runs for it. Every finished block
 * is streamed as an event; every finished sample is reported with its NFE and why it stopped.
 * Models stay loaded between jobs ({@link LoadedModels}).
 */
@ApplicationScoped
public class SampleHandler implements JobHandler {
  private static final Logger LOG = Logger.getLogger(SampleHandler.class);

  @Override
  public JobType type() {
    return JobType.SAMPLE;
  }

  @Inject LoadedModels models;
  @Inject DecodeBatches batches;

  @Override
  public void run(JobRequest job, JobContext context) {
    SampleSpec given = (SampleSpec) job.spec();
    boolean useEma = given.resolved(1).useEma(); // the block size sets only sampler defaults
    try (LoadedModels.Lease lease =
        models.acquire(given.checkpoint(), useEma, () -> context.artifact(given.checkpoint()))) {
      int blockSize = lease.meta().model().blockSize();
      SampleSpec spec = given.resolved(blockSize);
      Bd3Lm model = lease.model();
      Tokenizer tokenizer = model.config().tokenizer();
      int[] prompt = tokenizer.encode(spec.prompt());
      context.metric("prompt_tokens", 0, prompt.length); // a completion's usage
      Tokenizer.Stream[] streams = new Tokenizer.Stream[spec.numSamples()];
      for (int i = 0; i < streams.length; i++) {
        streams[i] = tokenizer.stream();
      }
      long started = System.nanoTime();
      BlockSampler.Result result =
          batches
              .join(
                  lease,
                  spec.numSamples(),
                  prompt,
                  SampleSpecs.samplerConfig(spec, blockSize),
                  (sample, block, tokens) ->
                      context.block(sample, block, streams[sample].next(tokens)),
                  context::cancelled)
              .completion()
              .join();
      double seconds = (System.nanoTime() - started) / 1e9;
      if (context.cancelled()) {
        return; // the runtime reports CANCELLED; unfinished samples are not results
      }
      List<GeneratedSample> samples = result.samples();
      long tokens = 0;
      for (int i = 0; i < samples.size(); i++) {
        GeneratedSample s = samples.get(i);
        context.sample(i, s.text(), s.tokens().length, s.nfe(), s.stop().json(), s.entropy());
        tokens += s.tokens().length;
      }
      context.metric("tokens_per_s", 0, tokens / seconds);
      context.metric("batch_passes", 0, result.batchPasses());
      context.metric("batch_requests", 0, result.meanBatch());
      LOG.infof(
          "run %s: %d samples, %d tokens in %.1f s, %.1f requests a pass (model %s)",
          job.runId(),
          samples.size(),
          tokens,
          seconds,
          result.meanBatch(),
          lease.kept() ? "kept loaded" : "read from its checkpoint");
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }
}
