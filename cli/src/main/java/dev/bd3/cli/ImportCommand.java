package dev.bd3.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bd3 import DIR | --store-path PATH [--name NAME]}: prints the new run's id. */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    description =
        "Import a model in the authors' release layout (a folder of config.json and"
            + " model.safetensors) as a training run, and print its id (admin): a local folder,"
            + " uploaded, or one already in the gateway's artifact store.")
final class ImportCommand implements Callable<Integer> {
  @Parameters(index = "0", arity = "0..1", paramLabel = "DIR", description = "the release folder")
  Path dir;

  @Option(
      names = "--store-path",
      paramLabel = "PATH",
      description = "a release folder in the artifact store (relative to it), read by the gateway")
  String storePath;

  @Option(names = "--name", paramLabel = "NAME", description = "the run's name")
  String name;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    if ((dir == null) == (storePath == null)) {
      throw new ParameterException(spec.commandLine(), "give either DIR or --store-path");
    }
    Bd3Client client = Main.of(spec).client();
    JsonNode run =
        dir != null
            ? client.importModel(dir.resolve("config.json"), dir.resolve("model.safetensors"), name)
            : client.importModelFromStore(storePath, name);
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
