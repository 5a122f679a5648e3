package dev.bd3.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ResourceEstimateTest {
  private static final long GIB = 1L << 30;

  private static TrainSpec train(String json) throws Exception {
    return Json.mapper().readValue(json, TrainSpec.class);
  }

  @Test
  void theCpuPresetFitsAWorkerAndThePapersSmallModelDoesNot() throws Exception {
    long cpu = ResourceEstimate.trainingMemory(train("{}"));
    assertTrue(cpu > 100L << 20 && cpu < GIB, "cpu preset: " + cpu);
    long small = ResourceEstimate.trainingMemory(train("{\"preset\":\"small\"}"));
    assertTrue(small > 32 * GIB, "12 x 768 at L = 1024, B = 16, without fused attention: " + small);
  }

  @Test
  void activationsGrowWithTheBatchAndQuadraticallyInTheContext() throws Exception {
    long weights = ResourceEstimate.trainingMemory(train("{\"batchSize\":1}"));
    long b2 = ResourceEstimate.trainingMemory(train("{\"batchSize\":2}"));
    long b4 = ResourceEstimate.trainingMemory(train("{\"batchSize\":4}"));
    assertEquals(b4 - b2, 2 * (b2 - weights), "linear in the batch");
    // the attention scores grow with the square of the context: more than doubling L doubles
    assertTrue(perSequence(128) > 2.4 * perSequence(64), "superlinear in L");
  }

  /**
   * A prompt is prefilled once, within the window: 4,000 "é" with 64 samples (once admitted, then
   * asking libtorch for 32.8 GB) costs what a prompt of one window costs, and less than 1 GiB on
   * the cpu preset; a shorter prompt costs less.
   */
  @Test
  void thePromptCountsAtMostOneWindow() throws Exception {
    long huge = sampling("é".repeat(4000));
    assertEquals(sampling("x".repeat(127)), huge, "BOS + 127 bytes fill the window of 128");
    assertTrue(huge < GIB, "64 samples after a long prompt: " + huge);
    assertTrue(sampling("x") < huge);
    SampleSpec lone = Json.mapper().readValue("{\"prompt\":\"a\\ud800b\"}", SampleSpec.class);
    assertEquals("prompt", lone.crossFieldViolations().get(0).field());
  }

  private static long sampling(String prompt) throws Exception {
    SampleSpec spec =
        Json.mapper()
            .readValue(
                Json.mapper()
                    .writeValueAsString(java.util.Map.of("prompt", prompt, "numSamples", 64)),
                SampleSpec.class);
    return ResourceEstimate.samplingMemory(spec, train("{}"));
  }

  /** Memory of seven more sequences of context L (the weights cancel out). */
  private static double perSequence(int l) throws Exception {
    String batch8 = "{\"contextLength\":" + l + ",\"batchSize\":8}";
    String batch1 = "{\"contextLength\":" + l + ",\"batchSize\":1}";
    return ResourceEstimate.trainingMemory(train(batch8))
        - ResourceEstimate.trainingMemory(train(batch1));
  }

  @Test
  void workCountsTokens() throws Exception {
    assertEquals(300.0 * 16 * 128, ResourceEstimate.trainingWork(train("{}")));
    SampleSpec sample =
        Json.mapper().readValue("{\"numSamples\":4,\"maxTokens\":100}", SampleSpec.class);
    assertEquals(400.0, ResourceEstimate.samplingWork(sample, train("{}")));
  }

  @Test
  void parametersOfTheCpuPreset() {
    // embeddings and output layer 2 x 260 x 128 + 260 + 128; 4 layers of 12 D^2 + 7 D; adaLN:
    // sigma embedding 256 C + C + C^2 + C, (C + 1) 6 D a layer, (C + 1) 2 D for the output
    long d = 128;
    long c = 64;
    long adaLn = 256 * c + c + c * c + c + 4 * (c + 1) * 6 * d + (c + 1) * 2 * d;
    long expected = 2 * 260 * d + 260 + d + 4 * (12 * d * d + 7 * d) + adaLn;
    assertEquals(expected, ResourceEstimate.parameters(260, 4, 128, 4, 64));
    assertEquals(expected - adaLn, ResourceEstimate.parameters(260, 4, 128, 4, 0));
  }
}
