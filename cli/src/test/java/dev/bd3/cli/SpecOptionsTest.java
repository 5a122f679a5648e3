package dev.bd3.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bd3.jobs.EvalSpec;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.SampleSpec;
import dev.bd3.jobs.TrainSpec;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

class SpecOptionsTest {

  @Test
  void kebabCaseOfComponentNames() {
    assertEquals("block-size", SpecOptions.kebabCase("blockSize"));
    assertEquals("steps", SpecOptions.kebabCase("steps"));
    assertEquals("top-p", SpecOptions.kebabCase("topP"));
    assertEquals("checkpoint-every", SpecOptions.kebabCase("checkpointEvery"));
    assertEquals("max-url-length", SpecOptions.kebabCase("maxURLLength"));
    assertEquals("use-ema", SpecOptions.kebabCase("useEMA"));
    assertEquals("stage2-steps", SpecOptions.kebabCase("stage2Steps"));
  }

  @Test
  void everyFieldOfEverySpecIsAnOptionOfItsType() {
    for (JobType type : JobType.values()) {
      SpecOptions options = SpecOptions.of(type);
      for (RecordComponent c : type.specClass().getRecordComponents()) {
        OptionSpec option = options.option(c.getName());
        assertNotNull(option, type + "." + c.getName());
        assertEquals("--" + SpecOptions.kebabCase(c.getName()), option.longestName());
        assertEquals(c.getType(), option.type(), option.longestName());
      }
    }
  }

  @Test
  void usageShowsTheCatalogsDescriptionsAndDefaults() {
    CommandSpec command = CommandSpec.create();
    SpecOptions.of(JobType.TRAIN).addTo(command);
    String usage = new CommandLine(command).getUsageMessage();
    assertTrue(usage.contains("--block-size=N"), usage);
    assertTrue(usage.contains("--learning-rate=X"), usage);
    assertTrue(usage.contains("optimiser steps (default: 300)"), usage);
    assertTrue(usage.contains("(default: min(50, steps / 10))"), usage);
  }

  @Test
  void descriptionsAreNeverReadAsFormats() {
    CommandSpec command = CommandSpec.create();
    command.addOption(
        OptionSpec.builder("--x")
            .description(SpecOptions.escape("keep 90% of the mass, not ${this}"))
            .build());
    String usage = new CommandLine(command).getUsageMessage();
    assertTrue(usage.contains("keep 90% of the mass, not ${this}"), usage);
  }

  @Test
  void typedOptionsMergeWithRawJson() {
    JsonNode spec = spec("train", "--block-size", "4", "--steps", "10", "--spec", "{\"seed\":1}");
    assertEquals(Bd3Client.parse("{\"blockSize\":4,\"steps\":10,\"seed\":1}"), reparsed(spec));
  }

  @Test
  void typedOptionsOverrideRawJsonWhichOverridesTheFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("spec.json");
    Files.writeString(file, "{\"steps\":5,\"prompt\":\"from file\",\"numSamples\":2}");
    JsonNode spec =
        spec(
            "sample",
            "--spec-file",
            file.toString(),
            "--spec",
            "{\"steps\":6,\"topP\":0.5}",
            "--steps",
            "7",
            "--train-run-id",
            "abc",
            "--stop-on-eos=false",
            "--use-ema");
    assertEquals(
        Bd3Client.parse(
            "{\"steps\":7,\"prompt\":\"from file\",\"numSamples\":2,\"topP\":0.5,"
                + "\"trainRunId\":\"abc\",\"stopOnEos\":false,\"useEma\":true}"),
        reparsed(spec));
  }

  @Test
  void longAndDoubleFields() {
    JsonNode spec =
        spec("eval", "--train-run-id", "r1", "--checkpoint-step", "200", "--seed", "12345678901");
    assertEquals(
        Bd3Client.parse("{\"trainRunId\":\"r1\",\"checkpointStep\":200,\"seed\":12345678901}"),
        reparsed(spec));
    JsonNode train = spec("train", "--learning-rate", "3e-3", "--schedule-search");
    assertEquals(
        Bd3Client.parse("{\"learningRate\":0.003,\"scheduleSearch\":true}"), reparsed(train));
  }

  @Test
  void specRecordsAreTheContractsRecords() {
    assertEquals(TrainSpec.class, JobType.TRAIN.specClass());
    assertEquals(EvalSpec.class, JobType.EVAL.specClass());
    assertEquals(SampleSpec.class, JobType.SAMPLE.specClass());
  }

  /** The spec {@code bd3 submit TYPE args...} would send, without sending it. */
  private static JsonNode spec(String type, String... args) {
    CommandLine bd3 = Main.commandLine();
    String[] all = new String[args.length + 2];
    all[0] = "submit";
    all[1] = type;
    System.arraycopy(args, 0, all, 2, args.length);
    bd3.parseArgs(all);
    CommandLine submitType = bd3.getSubcommands().get("submit").getSubcommands().get(type);
    return ((SubmitJobCommand) submitType.getCommand()).jobSpec();
  }

  /** What the gateway reads: the JSON text parsed again (numbers compared by value). */
  private static JsonNode reparsed(JsonNode json) {
    return Bd3Client.parse(json.toString());
  }
}
