package dev.bd3.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.sample.BatchDecoder;
import dev.bd3.model.sample.BlockSampler;
import dev.bd3.model.sample.GeneratedSample;
import dev.bd3.model.sample.SamplerConfig;
import dev.bd3.model.sample.StopReason;
import dev.bd3.model.spec.SamplerRule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Requests decoded together give what each gives alone: the batch is an optimisation, never a
 * change of the text.
 */
class BatchDecoderTest {
  private static final ModelConfig CONFIG = ModelConfig.micro(); // L = 32, L' = 4

  /** A request: its prompt, samples and sampler, and when it joins (after so many steps). */
  private record Ask(String prompt, int n, SamplerConfig config, int joinsAfter) {}

  /**
   * Four requests with every rule, prompts of no, one and many complete blocks (a prefilled cache,
   * one stored by the first evaluation, none at all), other temperatures, nuclei and lengths, the
   * UTF-8 constraint on one, joining at different block boundaries and running past the context
   * (the cache slides): each request's samples, NFE and stop reasons are those it gets alone, and
   * what it streamed is its samples.
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 4, 16, 32})
  void aRequestGeneratesTheSameTextWhateverItsBatchMates(int blockSize) {
    List<Ask> asks =
        List.of(
            new Ask("Hello", 2, config(SamplerRule.DDPM, 1.0, 1.0, 70, 1, false), 0),
            new Ask(
                "a long prompt ".repeat(5),
                1,
                config(SamplerRule.THRESHOLD, 0.7, 1.0, 40, 2, false),
                2),
            new Ask("", 1, config(SamplerRule.FIRST_HITTING, 1.0, 0.9, 30, 3, true), 3),
            new Ask("xy", 3, config(SamplerRule.PARALLEL, 1.3, 0.95, 25, 4, false), 3));
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(CONFIG.withBlockSize(blockSize), m, 21);
      List<BlockSampler.Result> alone = new ArrayList<>();
      for (Ask ask : asks) {
        alone.add(
            BlockSampler.cached(model, ask.config())
                .generate(ask.n(), prompt(ask), m, BlockSampler.Listener.NONE));
      }
      List<List<List<int[]>>> streamed = new ArrayList<>();
      List<BatchDecoder.Request> together = new ArrayList<>();
      try (BatchDecoder decoder = BatchDecoder.of(model, m)) {
        int steps = 0;
        boolean going = true;
        while (going || together.size() < asks.size()) {
          for (Ask ask : asks) {
            if (ask.joinsAfter() == steps) {
              List<List<int[]>> blocks = new ArrayList<>();
              for (int i = 0; i < ask.n(); i++) {
                blocks.add(new ArrayList<>());
              }
              streamed.add(blocks);
              together.add(
                  decoder.join(
                      ask.n(),
                      prompt(ask),
                      ask.config(),
                      (sample, block, tokens) -> blocks.get(sample).add(tokens),
                      () -> false));
            }
          }
          going = decoder.step();
          steps++;
        }
      }
      for (int r = 0; r < asks.size(); r++) {
        BlockSampler.Result batched = together.get(r).completion().join();
        for (int i = 0; i < asks.get(r).n(); i++) {
          GeneratedSample expected = alone.get(r).samples().get(i);
          GeneratedSample actual = batched.samples().get(i);
          String which = "request " + r + " sample " + i;
          assertArrayEquals(expected.tokens(), actual.tokens(), which);
          assertEquals(expected.nfe(), actual.nfe(), which);
          assertEquals(expected.stop(), actual.stop(), which);
          int[] sent = streamed.get(r).get(i).stream().flatMapToInt(Arrays::stream).toArray();
          // the text ends before a character the length cap cut (at most 3 bytes of it streamed)
          assertArrayEquals(
              actual.tokens(), Arrays.copyOf(sent, actual.tokens().length), which + " streamed");
          assertTrue(sent.length - actual.tokens().length < 4, which + " streamed");
        }
        assertTrue(batched.meanBatch() > 1, "request " + r + " had batch mates");
        assertEquals(1.0, alone.get(r).meanBatch(), "alone");
      }
      assertEquals(70, alone.get(0).samples().get(0).tokens().length, "past the context of 32");
    }
  }

  /** A cancelled request ends with its finished blocks; its batch mates go on unchanged. */
  @Test
  void aCancelledRequestLeavesItsBatchMatesAsTheyWere() {
    try (NDManager m = Fixtures.manager()) {
      Bd3Lm model = Fixtures.randomModel(CONFIG, m, 22);
      SamplerConfig kept = config(SamplerRule.DDPM, 1.0, 1.0, 40, 5, false);
      int[] prompt = Fixtures.BYTES.encode("Hello there");
      GeneratedSample alone =
          BlockSampler.cached(model, kept)
              .generate(1, prompt, m, BlockSampler.Listener.NONE)
              .samples()
              .get(0);
      AtomicBoolean cancel = new AtomicBoolean();
      AtomicInteger blocks = new AtomicInteger();
      try (BatchDecoder decoder = BatchDecoder.of(model, m)) {
        BatchDecoder.Request stays =
            decoder.join(1, prompt, kept, BlockSampler.Listener.NONE, () -> false);
        BatchDecoder.Request goes =
            decoder.join(
                2,
                Fixtures.BYTES.encode("Hi"),
                config(SamplerRule.FIRST_HITTING, 1.0, 1.0, 40, 6, false),
                (sample, block, tokens) -> {
                  if (sample == 0 && blocks.incrementAndGet() == 3) {
                    cancel.set(true);
                  }
                },
                cancel::get);
        BatchDecoder.Request fails =
            decoder.join(
                1,
                Fixtures.BYTES.encode("Oops"),
                config(SamplerRule.PARALLEL, 1.0, 1.0, 40, 7, false),
                (sample, block, tokens) -> {
                  if (block == 1) {
                    throw new IllegalStateException("the client went away");
                  }
                },
                () -> false);
        while (decoder.step()) {
          // until every request has ended
        }
        for (GeneratedSample s : goes.completion().join().samples()) {
          assertEquals(StopReason.CANCELLED, s.stop());
          assertEquals(3 * CONFIG.blockSize() - 3, s.tokens().length, "three blocks after BOS+Hi");
        }
        CompletionException failed =
            assertThrows(CompletionException.class, fails.completion()::join);
        assertInstanceOf(IllegalStateException.class, failed.getCause());
        GeneratedSample batched = stays.completion().join().samples().get(0);
        assertArrayEquals(alone.tokens(), batched.tokens());
        assertEquals(alone.nfe(), batched.nfe());
        assertFalse(stays.completion().isCompletedExceptionally());
      }
    }
  }

  private static int[] prompt(Ask ask) {
    return Fixtures.BYTES.encode(ask.prompt());
  }

  private static SamplerConfig config(
      SamplerRule kind, double temperature, double topP, int maxTokens, long seed, boolean utf8) {
    return new SamplerConfig(
        kind, 3, topP, temperature, 2, 0.2, maxTokens, false, 0, 256, seed, utf8);
  }
}
