package dev.bd3.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bd3 datasets}, {@code bd3 datasets upload FILE --name NAME}, {@code bd3 datasets delete
 * ID}.
 */
@Command(
    name = "datasets",
    mixinStandardHelpOptions = true,
    description = "List the uploaded datasets: a training job names one by id (--corpus ID).",
    subcommands = {DatasetsCommand.Upload.class, DatasetsCommand.Delete.class})
final class DatasetsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Table table =
        new Table("ID", "NAME", "OWNER", "BYTES", "DOCUMENTS", "TRAIN/VAL/TEST TOKENS", "CREATED");
    for (JsonNode d : Main.of(spec).client().datasets()) {
      table.row(
          d.path("id").asText(),
          d.path("name").asText(),
          d.path("owner").asText(),
          d.path("bytes").asText(),
          d.path("documents").asText(),
          d.path("trainTokens").asText()
              + "/"
              + d.path("validationTokens").asText()
              + "/"
              + d.path("testTokens").asText(),
          d.path("createdAt").asText());
    }
    table.print(spec.commandLine().getOut());
    return 0;
  }

  /** {@code bd3 datasets upload FILE --name NAME}: prints the new dataset's id. */
  @Command(
      name = "upload",
      mixinStandardHelpOptions = true,
      description =
          "Upload a UTF-8 text file (paragraphs separated by blank lines) and print its id.")
  static final class Upload implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE")
    Path file;

    @Option(
        names = "--name",
        paramLabel = "NAME",
        description = "the dataset's name (default: the file's name)")
    String name;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      String as = name != null ? name : file.getFileName().toString();
      JsonNode d = Main.of(spec).client().uploadDataset(as, file);
      spec.commandLine()
          .getErr()
          .printf(
              "dataset %s: %s bytes, %s documents, sha256 %s%n",
              d.path("name").asText(),
              d.path("bytes").asText(),
              d.path("documents").asText(),
              d.path("sha256").asText());
      spec.commandLine().getOut().println(d.path("id").asText());
      return 0;
    }
  }

  /** {@code bd3 datasets delete ID}. */
  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description = "Delete a dataset that no training run names (its owner or an admin).")
  static final class Delete implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      JsonNode deleted = Main.of(spec).client().deleteDataset(id);
      spec.commandLine().getOut().println("deleted " + deleted.path("name").asText());
      return 0;
    }
  }
}
