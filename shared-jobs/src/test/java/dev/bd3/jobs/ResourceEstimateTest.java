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
