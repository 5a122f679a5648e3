package dev.bd3.testsupport;

import dev.bd3.jobs.JobType;
import java.util.List;

/**
 * Specs on each side of each validation rule, with the verdict the contract gives them. The
 * gateway's tests send them to the API and the workers' tests to the worker-side check: both must
 * reach this verdict, so that what the gateway accepts, a worker runs.
 */
public final class SpecBoundaries {
  /** Stands for a training run with a checkpoint; the gateway's test puts a real one there. */
  public static final String RUN = "@run";

  private SpecBoundaries() {}

  /**
   * One spec and its verdict.
   *
   * @param type the job type
   * @param spec the spec's JSON; eval and sample specs name the training run {@link #RUN}
   * @param rejected the field the verdict names, or null when the spec is accepted
   */
  public record Case(JobType type, String spec, String rejected) {
    public boolean accepted() {
      return rejected == null;
    }

    /** The spec with {@link #RUN} replaced by a real run id. */
    public String spec(String runId) {
      return spec.replace(RUN, runId);
    }

    @Override
    public String toString() {
      return type.json() + " " + spec + (accepted() ? " accepted" : " rejected at " + rejected);
    }
  }

  public static List<Case> all() {
    return List.of(
        train("{}", null),
        train("{\"preset\":\"micro\"}", null),
        train("{\"preset\":\"huge\"}", "preset"),
        train("{\"preset\":5}", "preset"),
        train("{\"emaDecay\":0.0}", null),
        train("{\"emaDecay\":0.99999}", null),
        train("{\"emaDecay\":1.0}", "emaDecay"),
        train("{\"emaDecay\":-0.1}", "emaDecay"),
        train("{\"noiseMin\":1e-9}", null),
        train("{\"noiseMin\":0}", "noiseMin"),
        train("{\"noiseMin\":0.5,\"noiseMax\":0.5}", null),
        train("{\"noiseMin\":0.6,\"noiseMax\":0.5}", "noiseMin"),
        train("{\"noiseMax\":0.0005}", "noiseMax"),
        train("{\"noiseMax\":1.5}", "noiseMax"),
        train("{\"gradClip\":0}", null),
        train("{\"gradClip\":1000}", null),
        train("{\"gradClip\":1000.5}", "gradClip"),
        train("{\"gradClip\":\"Infinity\"}", "gradClip"),
        train("{\"steps\":300}", null),
        train("{\"steps\":\"300\"}", "steps"),
        train("{\"steps\":0}", "steps"),
        train("{\"steps\":1.5}", "steps"),
        train("{\"learningRate\":1.0}", null),
        train("{\"learningRate\":0}", "learningRate"),
        train("{\"learningRate\":\"1e-3\"}", "learningRate"),
        train("{\"dropout\":0.9}", null),
        train("{\"dropout\":0.91}", "dropout"),
        train("{\"blockSize\":1}", null),
        train("{\"blockSize\":128}", null),
        train("{\"blockSize\":3}", "blockSize"),
        train("{\"contextLength\":102}", "contextLength"),
        train("{\"contextLength\":100}", null),
        train("{\"heads\":3}", "heads"),
        train("{\"width\":100}", "width"),
        train("{\"width\":96,\"heads\":6}", null),
        train("{\"condDim\":0}", null),
        train("{\"condDim\":-1}", "condDim"),
        train("{\"causal\":true,\"blockSize\":1}", null),
        train("{\"causal\":true}", "causal"),
        train("{\"causal\":true,\"blockSize\":1,\"condDim\":64}", "condDim"),
        train("{\"causal\":\"yes\"}", "causal"),
        train("{\"scheduleSearch\":true}", null),
        train("{\"scheduleSearch\":\"true\"}", "scheduleSearch"),
        train("{\"corpus\":\"wiki\"}", "corpus"),
        eval("{\"trainRunId\":\"@run\"}", null),
        eval("{\"trainRunId\":\"@run\",\"mcDraws\":64}", null),
        eval("{\"trainRunId\":\"@run\",\"mcDraws\":65}", "mcDraws"),
        eval("{\"trainRunId\":\"@run\",\"split\":\"train\"}", "split"),
        eval("{\"trainRunId\":\"@run\",\"batchSize\":0}", "batchSize"),
        eval("{\"trainRunId\":\"@run\",\"genSamples\":\"2\"}", "genSamples"),
        eval("{\"trainRunId\":\"@run\",\"corpus\":\"europarl\"}", null),
        eval("{\"trainRunId\":\"@run\",\"corpus\":\"wiki\"}", "corpus"),
        sample("{\"trainRunId\":\"@run\"}", null),
        sample("{\"trainRunId\":\"@run\",\"entropyThreshold\":100}", null),
        sample("{\"trainRunId\":\"@run\",\"entropyThreshold\":100.5}", "entropyThreshold"),
        sample("{\"trainRunId\":\"@run\",\"entropyThreshold\":\"Infinity\"}", "entropyThreshold"),
        sample("{\"trainRunId\":\"@run\",\"topP\":1}", null),
        sample("{\"trainRunId\":\"@run\",\"topP\":0}", "topP"),
        sample("{\"trainRunId\":\"@run\",\"sampler\":\"beam\"}", "sampler"),
        sample("{\"trainRunId\":\"@run\",\"sampler\":\"first-hitting\"}", null),
        sample("{\"trainRunId\":\"@run\",\"sampler\":\"threshold\",\"confidence\":1}", null),
        sample("{\"trainRunId\":\"@run\",\"confidence\":0}", "confidence"),
        sample("{\"trainRunId\":\"@run\",\"temperature\":0}", null),
        sample("{\"trainRunId\":\"@run\",\"temperature\":10}", null),
        sample("{\"trainRunId\":\"@run\",\"temperature\":-0.1}", "temperature"),
        sample("{\"trainRunId\":\"@run\",\"confidence\":1.01}", "confidence"),
        sample("{\"trainRunId\":\"@run\",\"maxTokens\":131072}", null),
        sample("{\"trainRunId\":\"@run\",\"maxTokens\":131073}", "maxTokens"),
        sample("{\"trainRunId\":\"@run\",\"stopOnEos\":1}", "stopOnEos"),
        sample("{\"trainRunId\":\"@run\",\"prompt\":\"a\\u0000b\"}", "prompt"));
  }

  private static Case train(String spec, String rejected) {
    return new Case(JobType.TRAIN, spec, rejected);
  }

  private static Case eval(String spec, String rejected) {
    return new Case(JobType.EVAL, spec, rejected);
  }

  private static Case sample(String spec, String rejected) {
    return new Case(JobType.SAMPLE, spec, rejected);
  }
}
