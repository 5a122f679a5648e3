package dev.bd3.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.DeviceCopy;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.sample.BlockSampler;
import dev.bd3.model.sample.GeneratedSample;
import dev.bd3.model.sample.SamplerConfig;
import dev.bd3.model.sample.StopReason;
import dev.bd3.model.spec.SamplerRule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class BlockSamplerTest {
  private static final ModelConfig CONFIG = ModelConfig.micro(); // L = 32, L' = 4

  private static SamplerConfig config(SamplerRule kind, int maxTokens, boolean eos) {
    return new SamplerConfig(kind, 4, 1.0, 1.0, 2, 0.9, maxTokens, eos, 0, 256, 42, false);
  }

  @ParameterizedTest
  @EnumSource(SamplerRule.class)
  void kvCacheGivesTheTokensOfRecomputingThePrefix(SamplerRule kind) {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(CONFIG, m, 3);
      SamplerConfig c = config(kind, 24, false);
      sameSamples(BlockSampler.recomputing(model, c), BlockSampler.cached(model, c), 24, m);
    }
  }

  /**
   * At temperature 0 every draw is the most likely token, so the most-confident-first rules give
   * the same text whatever the seed; at temperature 1 the seed matters; a high temperature flattens
   * p_theta (lower confidence: the threshold rule commits fewer tokens a step).
   */
  @Test
  void temperatureZeroIsGreedyAndHighTemperatureIsLessSure() {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(CONFIG, m, 13);
      int[] prompt = Fixtures.BYTES.encode("Hello");
      for (SamplerRule kind : List.of(SamplerRule.PARALLEL, SamplerRule.THRESHOLD)) {
        List<int[]> greedy = new ArrayList<>();
        List<int[]> drawn = new ArrayList<>();
        for (long seed : new long[] {1, 2}) {
          greedy.add(
              tokens(
                  model,
                  new SamplerConfig(kind, 4, 1.0, 0.0, 2, 0.3, 24, false, 0, 256, seed, false),
                  prompt,
                  m));
          drawn.add(
              tokens(
                  model,
                  new SamplerConfig(kind, 4, 1.0, 1.0, 2, 0.3, 24, false, 0, 256, seed, false),
                  prompt,
                  m));
        }
        assertArrayEquals(greedy.get(0), greedy.get(1), kind + " at temperature 0");
        assertFalse(Arrays.equals(drawn.get(0), drawn.get(1)), kind + " at temperature 1");
      }
      double sure = nfe(model, 1.0, prompt, m);
      double unsure = nfe(model, 5.0, prompt, m);
      assertTrue(
          unsure > sure, "threshold NFE at temperature 5 (" + unsure + ") over 1 (" + sure + ")");
    }
  }

  private static int[] tokens(Bd3Lm model, SamplerConfig c, int[] prompt, NDManager m) {
    return BlockSampler.cached(model, c)
        .generate(1, prompt, m, BlockSampler.Listener.NONE)
        .samples()
        .get(0)
        .tokens();
  }

  private static double nfe(Bd3Lm model, double temperature, int[] prompt, NDManager m) {
    SamplerConfig c =
        new SamplerConfig(
            SamplerRule.THRESHOLD, 4, 1.0, temperature, 1, 0.05, 64, false, 0, 256, 3, false);
    return BlockSampler.cached(model, c)
        .generate(1, prompt, m, BlockSampler.Listener.NONE)
        .samples()
        .get(0)
        .nfe();
  }

  /** Two samples of {@code length} tokens after "Hello": the same tokens and NFE from both. */
  private static void sameSamples(
      BlockSampler reference, BlockSampler sampler, int length, NDManager m) {
    int[] prompt = Fixtures.BYTES.encode("Hello");
    List<GeneratedSample> expected =
        reference.generate(2, prompt, m, BlockSampler.Listener.NONE).samples();
    List<GeneratedSample> actual =
        sampler.generate(2, prompt, m, BlockSampler.Listener.NONE).samples();
    for (int i = 0; i < 2; i++) {
      assertEquals(length, actual.get(i).tokens().length);
      assertArrayEquals(expected.get(i).tokens(), actual.get(i).tokens(), "sample " + i);
      assertEquals(expected.get(i).nfe(), actual.get(i).nfe());
    }
  }

  /**
   * The scripted forward (one TorchScript call a pass) samples exactly what the eager forward, the
   * reference, samples: the same tokens and NFE, past the training context too (the cache slides).
   */
  @ParameterizedTest
  @EnumSource(SamplerRule.class)
  void theScriptedSamplerGivesTheTokensOfTheEagerOne(SamplerRule kind) {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(CONFIG, m, 5);
      SamplerConfig c = config(kind, 60, false);
      sameSamples(BlockSampler.cachedEager(model, c), BlockSampler.cached(model, c), 60, m);
    }
  }

  /**
   * A finished block is stored in the next block's first evaluation, so every pass is an
   * evaluation: at L' = 1 one pass per token, as an autoregressive model needs. The tokens stay
   * those of recomputing the prefix, at every block size up to MDLM's.
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 2, 4, 16, 32})
  void everyPassAfterThePrefillIsAnEvaluation(int blockSize) {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(CONFIG.withBlockSize(blockSize), m, 7);
      int[] prompt = Fixtures.BYTES.encode("Hi"); // BOS + 2
      SamplerConfig c = config(SamplerRule.FIRST_HITTING, 24, false);
      BlockSampler.Result cached =
          BlockSampler.cached(model, c).generate(1, prompt, m, BlockSampler.Listener.NONE);
      BlockSampler.Result recomputed =
          BlockSampler.recomputing(model, c).generate(1, prompt, m, BlockSampler.Listener.NONE);
      GeneratedSample sample = cached.samples().get(0);
      assertArrayEquals(recomputed.samples().get(0).tokens(), sample.tokens());
      // the prompt's complete blocks but the last, which the first evaluation stores
      int prefill = 3 / blockSize > 1 ? 1 : 0;
      assertEquals(sample.nfe() + prefill, cached.batchPasses());
      if (blockSize == 1) {
        assertEquals(24, sample.nfe(), "one evaluation per token");
      }
    }
  }

  /**
   * A near-uniform random model draws bytes of 0x80 and above half the time: without the constraint
   * its text is invalid UTF-8; with it every sample decodes strictly, for every rule, block size
   * and seed (36 settings of 3 samples each per block size, EOS stops included).
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 4, 16})
  void samplesAreValidUtf8ByConstruction(int blockSize) throws Exception {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(CONFIG.withBlockSize(blockSize), m, 11);
      int[] prompt = Fixtures.BYTES.encode("ça");
      int invalidWithout = 0;
      for (SamplerRule kind : SamplerRule.values()) {
        for (long seed = 0; seed < 12; seed++) {
          for (boolean valid : new boolean[] {true, false}) {
            SamplerConfig c =
                new SamplerConfig(
                    kind, blockSize, 0.95, 1.0, 2, 0.9, 40, true, 0, 256, seed, valid);
            for (GeneratedSample s :
                BlockSampler.cached(model, c)
                    .generate(3, prompt, m, BlockSampler.Listener.NONE)
                    .samples()) {
              if (valid) {
                assertEquals(s.text(), Fixtures.BYTES.decodeStrict(s.tokens()), "seed " + seed);
                assertFalse(s.text().contains("\uFFFD"));
              } else if (s.text().contains("\uFFFD")) {
                invalidWithout++;
              }
            }
          }
        }
      }
      assertTrue(invalidWithout > 20, "without the constraint: " + invalidWithout + " invalid");
    }
  }

  /**
   * Three samples together: each reaches the cap with no MASK left, the first block keeps the
   * prompt's last token, and what the listener streamed, block by block, is exactly each sample.
   */
  @ParameterizedTest
  @EnumSource(SamplerRule.class)
  void aBatchStreamsExactlyItsSamples(SamplerRule kind) {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(CONFIG, m, 5);
      int[] prompt = Fixtures.BYTES.encode("abcdef"); // BOS + 6: the first block is half prompt
      List<List<int[]>> blocks = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        blocks.add(new ArrayList<>());
      }
      BlockSampler.Result result =
          BlockSampler.cached(model, config(kind, 20, false))
              .generate(3, prompt, m, (s, b, tokens) -> blocks.get(s).add(tokens));
      assertEquals(3, result.samples().size());
      for (int i = 0; i < 3; i++) {
        GeneratedSample s = result.samples().get(i);
        assertEquals(20, s.tokens().length);
        assertEquals(StopReason.MAX_LENGTH, s.stop());
        for (int id : s.tokens()) {
          assertTrue(id != Fixtures.BYTES.mask(), "no MASK is left");
        }
        // the first block kept the prompt's last token "f" and produced 1 more token
        assertEquals(1, blocks.get(i).get(0).length);
        int[] streamed = blocks.get(i).stream().flatMapToInt(java.util.Arrays::stream).toArray();
        assertArrayEquals(s.tokens(), streamed, "sample " + i + " as streamed");
      }
      assertTrue(result.batchPasses() > 0);
    }
  }

  /**
   * MDLM (L' = L = 32) past its context slides a window of L tokens, half context and half new, as
   * the reference's semi-autoregressive sampler: the first window holds BOS and the prompt and
   * fills the rest, each later one adds 16 tokens after the last 16.
   */
  @Test
  void mdlmKeepsHalfItsWindowAsContext() {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(CONFIG.withBlockSize(32), m, 8);
      List<Integer> sizes = new ArrayList<>();
      GeneratedSample s =
          BlockSampler.cached(model, config(SamplerRule.FIRST_HITTING, 80, false))
              .generate(
                  1, Fixtures.BYTES.encode("Hi"), m, (i, b, tokens) -> sizes.add(tokens.length))
              .samples()
              .get(0);
      assertEquals(List.of(29, 16, 16, 16, 3), sizes); // BOS + "Hi" + 29, then 16 at a time
      assertEquals(80, s.tokens().length);
      assertEquals(29 + 4 * 16, s.nfe(), "first hitting: one evaluation per masked position");
    }
  }

  /** A prompt far longer than the context is prefilled within the window: L - L' tokens, once. */
  @Test
  void aLongPromptIsPrefilledWithinTheWindow() {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(CONFIG, m, 8);
      int[] prompt = Fixtures.BYTES.encode("a long prompt ".repeat(40)); // 560 bytes, L = 32
      SamplerConfig c = config(SamplerRule.FIRST_HITTING, 12, false);
      BlockSampler.Result result =
          BlockSampler.cached(model, c).generate(2, prompt, m, BlockSampler.Listener.NONE);
      assertEquals(result.samples().get(0).nfe() + 1, result.batchPasses(), "one prefill pass");
      assertEquals(List.of(12, 12), result.samples().stream().map(x -> x.tokens().length).toList());
    }
  }

  /** A prompt the constraint cannot continue is refused with the reason, not a failure inside. */
  @Test
  void invalidPromptsAreRefusedClearly() {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(CONFIG, m, 8);
      BlockSampler sampler =
          BlockSampler.cached(
              model,
              new SamplerConfig(SamplerRule.DDPM, 4, 1.0, 1.0, 1, 0.9, 8, false, 0, 256, 1, true));
      for (int[] prompt :
          new int[][] {
            {'a', 0xE2, 0x82}, // ends inside "€"
            {0xFF, 'a'}, // never UTF-8
            {'a', Fixtures.BYTES.mask()}, // not a token of the text
            {'a', 300} // beyond the vocabulary
          }) {
        IllegalArgumentException e =
            org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> sampler.generate(1, prompt, m, BlockSampler.Listener.NONE));
        assertTrue(e.getMessage().startsWith("the prompt"), e.getMessage());
      }
    }
  }

  @Test
  void ddpmReusesPthetaWhenNothingChanged() {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(CONFIG, m, 5);
      SamplerConfig many =
          new SamplerConfig(SamplerRule.DDPM, 64, 1.0, 1.0, 1, 0.9, 16, false, 0, 256, 1, false);
      GeneratedSample s =
          BlockSampler.cached(model, many)
              .generate(1, new int[0], m, BlockSampler.Listener.NONE)
              .samples()
              .get(0);
      // 16 tokens = 4 full blocks plus BOS's block of 3; an evaluation only follows a change
      assertTrue(s.nfe() <= 5 * 4, "NFE " + s.nfe() + " with 64 steps per block");
      assertTrue(s.nfe() >= 5, "at least one evaluation per block");

      SamplerConfig firstHit =
          new SamplerConfig(
              SamplerRule.FIRST_HITTING, 1, 1.0, 1.0, 1, 0.9, 16, false, 0, 256, 1, false);
      GeneratedSample f =
          BlockSampler.cached(model, firstHit)
              .generate(1, new int[0], m, BlockSampler.Listener.NONE)
              .samples()
              .get(0);
      assertEquals(3 + 4 * 4, f.nfe(), "one evaluation per token");
    }
  }

  @Test
  void generationStopsAtEos() {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(CONFIG, m, 5);
      biasTowards(model, Fixtures.BYTES.eos(), m);
      GeneratedSample s =
          BlockSampler.cached(model, config(SamplerRule.DDPM, 100, true))
              .generate(1, new int[0], m, BlockSampler.Listener.NONE)
              .samples()
              .get(0);
      assertEquals(StopReason.EOS, s.stop());
      assertTrue(s.tokens().length < 4, "stopped in the first block: " + s.tokens().length);
      for (int id : s.tokens()) {
        assertTrue(id != Fixtures.BYTES.eos());
      }
    }
  }

  /** An EOS drawn after the length cap must not let a sample run past the cap. */
  @Test
  void theLengthCapComesBeforeAnEosBeyondIt() {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(CONFIG, m, 5);
      biasTowards(model, Fixtures.BYTES.eos(), 2, m); // some samples stop at EOS, some at the cap
      int eos = 0;
      for (long seed = 0; seed < 8; seed++) {
        SamplerConfig c =
            new SamplerConfig(SamplerRule.DDPM, 4, 1.0, 1.0, 1, 0.9, 5, true, 0, 256, seed, false);
        for (GeneratedSample s :
            BlockSampler.cached(model, c)
                .generate(6, new int[0], m, BlockSampler.Listener.NONE)
                .samples()) {
          assertTrue(s.tokens().length <= 5, "over the cap: " + s.tokens().length + " " + s.stop());
          eos += s.stop() == StopReason.EOS ? 1 : 0;
        }
      }
      assertTrue(eos > 0 && eos < 48, "both stop rules were exercised: " + eos + " EOS of 48");
    }
  }

  @Test
  void generatesPastTheTrainingContextAndStopsOnLowEntropy() {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(CONFIG, m, 5);
      GeneratedSample longer =
          BlockSampler.cached(model, config(SamplerRule.PARALLEL, 3 * 32, false))
              .generate(1, new int[0], m, BlockSampler.Listener.NONE)
              .samples()
              .get(0);
      assertEquals(96, longer.tokens().length, "three times the context length");

      biasTowards(model, 'a', m);
      SamplerConfig degenerate =
          new SamplerConfig(SamplerRule.DDPM, 4, 0.9, 1.0, 1, 0.9, 1000, false, 1.0, 32, 3, false);
      GeneratedSample s =
          BlockSampler.cached(model, degenerate)
              .generate(1, new int[0], m, BlockSampler.Listener.NONE)
              .samples()
              .get(0);
      assertEquals(StopReason.LOW_ENTROPY, s.stop());
      assertTrue(s.tokens().length < 100);
    }
  }

  /** Makes one id overwhelmingly likely everywhere through the output bias. */
  private static void biasTowards(Bd3Lm model, int id, NDManager m) {
    biasTowards(model, id, 50, m);
  }

  private static void biasTowards(Bd3Lm model, int id, float bias, NDManager m) {
    for (Parameter p : model.parameterList()) {
      if (p.getName().equals("outputBias")) {
        float[] values = new float[Fixtures.BYTES.vocabSize()];
        values[id] = bias;
        NDArray b = m.create(values);
        DeviceCopy.into(b, p.getArray());
      }
    }
  }
}
