package dev.bd3.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bd3.jobs.JobType;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code bd3 submit TYPE}: the spec from raw JSON ({@code --spec-file}, then {@code --spec}) with
 * the typed options, derived from the type's spec record, set on top; prints the run as JSON.
 */
@Command(mixinStandardHelpOptions = true, sortOptions = false)
final class SubmitJobCommand implements Callable<Integer> {
  @Option(
      names = "--spec",
      paramLabel = "JSON",
      converter = JsonObjectConverter.class,
      description = "the spec as a JSON object; the typed options override its fields")
  ObjectNode rawSpec;

  @Option(
      names = "--spec-file",
      paramLabel = "FILE",
      description = "a file holding the spec as a JSON object; --spec overrides its fields")
  Path specFile;

  @Option(names = "--name", paramLabel = "NAME", description = "a label for the run")
  String name;

  @Option(
      names = "--idempotency-key",
      paramLabel = "KEY",
      description = "submitting the same key again returns the first run instead of a new one")
  String idempotencyKey;

  @Option(
      names = "--wait",
      description =
          "follow the run's progress (on stderr) until it ends and print the finished run; exit"
              + " code 1 unless it SUCCEEDED")
  boolean await;

  @Spec CommandSpec spec;

  private final JobType type;
  private SpecOptions typed;

  private SubmitJobCommand(JobType type) {
    this.type = type;
  }

  /** The subcommand for one job type, with an option per field of its spec. */
  static CommandLine commandLine(JobType type) {
    SubmitJobCommand command = new SubmitJobCommand(type);
    CommandLine commandLine = new CommandLine(command);
    command.typed = SpecOptions.of(type);
    command.typed.addTo(commandLine.getCommandSpec());
    commandLine.getCommandSpec().usageMessage().description(type.description());
    return commandLine;
  }

  @Override
  public Integer call() {
    Bd3Client client = Main.of(spec).client();
    JsonNode run = client.submit(type.json(), name, jobSpec(), idempotencyKey);
    PrintWriter out = spec.commandLine().getOut();
    if (!await) {
      out.println(run.toPrettyString());
      return 0;
    }
    PrintWriter err = spec.commandLine().getErr();
    err.println("bd3: " + type.json() + " run " + run.path("id").asText() + " submitted");
    JsonNode done =
        WaitCommand.follow(client, run.path("id").asText(), new ProgressBar(err, Main.terminal()));
    out.println(done.toPrettyString());
    out.flush();
    return WaitCommand.exitCode(done, err);
  }

  /** The spec to submit: the file's JSON, then {@code --spec}'s, then the typed options. */
  ObjectNode jobSpec() {
    ObjectNode merged = Bd3Client.object();
    if (specFile != null) {
      merged.setAll(readSpecFile());
    }
    if (rawSpec != null) {
      merged.setAll(rawSpec);
    }
    merged.setAll(typed.values());
    return merged;
  }

  private ObjectNode readSpecFile() {
    String text;
    try {
      text = Files.readString(specFile);
    } catch (IOException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--spec-file: cannot read " + specFile + ": " + e.getMessage());
    }
    try {
      return new JsonObjectConverter().convert(text);
    } catch (TypeConversionException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--spec-file " + specFile + ": " + e.getMessage());
    }
  }

  /** Reads a JSON object; anything else is a usage error. */
  static final class JsonObjectConverter implements ITypeConverter<ObjectNode> {
    @Override
    public ObjectNode convert(String text) {
      JsonNode json;
      try {
        json = Bd3Client.parse(text);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException("not JSON: " + text);
      }
      if (!json.isObject()) {
        throw new TypeConversionException("not a JSON object: " + text);
      }
      return (ObjectNode) json;
    }
  }
}
