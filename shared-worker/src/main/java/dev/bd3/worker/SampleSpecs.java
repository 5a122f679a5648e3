package dev.bd3.worker;

import dev.bd3.jobs.SampleSpec;
import dev.bd3.model.sample.SamplerConfig;
import dev.bd3.model.spec.SamplerRule;

/** A sample job's spec as the model library's sampler: the contract's defaults resolved. */
public final class SampleSpecs {
  private SampleSpecs() {}

  /** A sample job's sampler for a model of block size {@code blockSize}. */
  public static SamplerConfig samplerConfig(SampleSpec spec, int blockSize) {
    SampleSpec s = spec.resolved(blockSize);
    return new SamplerConfig(
        SamplerRule.parse(s.sampler()),
        s.steps(),
        s.topP(),
        s.temperature(),
        s.tokensPerStep(),
        s.confidence(),
        s.maxTokens(),
        s.stopOnEos(),
        s.entropyThreshold(),
        SamplerConfig.ENTROPY_WINDOW,
        s.seed(),
        s.validUtf8());
  }

  /**
   * The sampler a job gets when it names nothing but its length and seed (DDPM with T = L' steps,
   * nucleus 0.9, EOS stopping, an entropy floor of 1.5 nats): the evaluator's generative samples.
   */
  public static SamplerConfig defaultSampler(int blockSize, int maxTokens, long seed) {
    return samplerConfig(
        new SampleSpec(
            null, null, null, null, maxTokens, null, null, null, null, null, null, null, null, null,
            null, null, seed),
        blockSize);
  }
}
