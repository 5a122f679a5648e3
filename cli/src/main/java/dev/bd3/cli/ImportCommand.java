package dev.bd3.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bd3 import DIR [--name NAME]}: prints the new run's id. */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    description =
        "Import a model in the authors' release layout (a folder of config.json and"
            + " model.safetensors) as a training run, and print its id (admin).")
final class ImportCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "DIR", description = "the release folder")
  Path dir;

  @Option(names = "--name", paramLabel = "NAME", description = "the run's name")
  String name;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    JsonNode run =
        Main.of(spec)
            .client()
            .importModel(dir.resolve("config.json"), dir.resolve("model.safetensors"), name);
    spec.commandLine()
        .getErr()
        .printf(
            "run %s: %s, weights sha256 %s, checkpoint %s%n",
            run.path("id").asText(),
            run.path("status").asText(),
            run.path("importedSha256").asText(),
            run.path("checkpoints").path(0).path("uri").asText());
    spec.commandLine().getOut().println(run.path("id").asText());
    return 0;
  }
}
