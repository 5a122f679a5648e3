package dev.bd3.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code bd3} on the command line: a client of the gateway's REST API. Exit codes: 0 done, 1 the
 * API refused or could not be reached (or a run did not succeed), 2 a usage error.
 */
@Command(
    name = "bd3",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = "Train, evaluate and sample block diffusion language models through the gateway.",
    subcommands = {
      SubmitCommand.class,
      GetCommand.class,
      WaitCommand.class,
      CancelCommand.class,
      RunsCommand.class,
      MetricsCommand.class,
      EventsCommand.class,
      GenerateCommand.class,
      DeadLettersCommand.class,
      KeysCommand.class,
      DatasetsCommand.class,
      ImportCommand.class,
      ExportCommand.class,
      DemoCommand.class
    })
public final class Main implements Callable<Integer> {
  @Option(
      names = "--api",
      paramLabel = "URL",
      scope = ScopeType.INHERIT,
      defaultValue = "${env:BD3_API:-http://127.0.0.1:8080}",
      description = "the gateway (default: $BD3_API, else ${DEFAULT-VALUE})")
  URI api;

  @Option(
      names = "--key-file",
      paramLabel = "FILE",
      scope = ScopeType.INHERIT,
      defaultValue = "${env:BD3_API_KEY_FILE}",
      description =
          "a file holding the API key (default: $BD3_API_KEY_FILE); else the key is $BD3_API_KEY")
  Path keyFile;

  @Spec CommandSpec spec;

  private final Duration pollInterval;

  public Main() {
    this(Duration.ofSeconds(1));
  }

  /** A command whose waits poll the API every {@code pollInterval} (tests poll faster). */
  Main(Duration pollInterval) {
    this.pollInterval = pollInterval;
  }

  public static void main(String[] args) {
    CommandLine commandLine = commandLine();
    int exitCode = commandLine.execute(args);
    commandLine.getOut().flush();
    commandLine.getErr().flush();
    System.exit(exitCode);
  }

  /** The whole command tree, ready to {@link CommandLine#execute execute}. */
  public static CommandLine commandLine() {
    return commandLine(new Main());
  }

  static CommandLine commandLine(Main main) {
    CommandLine commandLine = new CommandLine(main);
    SubmitCommand.addJobTypes(commandLine.getSubcommands().get("submit"));
    // set after every subcommand exists: picocli copies it to the ones present
    commandLine.setExecutionExceptionHandler(new ErrorReporter());
    return commandLine;
  }

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
  }

  Bd3Client client() {
    return new Bd3Client(api, key(), pollInterval);
  }

  /** The API key: from --key-file, else $BD3_API_KEY (never an argument: ps shows those). */
  private String key() {
    if (keyFile != null) {
      try {
        return Files.readString(keyFile, StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "cannot read the key file " + keyFile + ": " + e.getMessage());
      }
    }
    String key = System.getenv("BD3_API_KEY");
    return key == null || key.isBlank() ? null : key.strip();
  }

  /** Whether output goes to a terminal, where progress is redrawn in place. */
  static boolean terminal() {
    return System.console() != null;
  }

  /** The {@code bd3} command above any subcommand. */
  static Main of(CommandSpec subcommand) {
    return (Main) subcommand.root().userObject();
  }
}
