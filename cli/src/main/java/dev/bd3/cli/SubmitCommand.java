package dev.bd3.cli;

import dev.bd3.jobs.JobType;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code bd3 submit train|eval|sample}: one subcommand per job type, made from its spec. */
@Command(
    name = "submit",
    mixinStandardHelpOptions = true,
    description = "Submit a job; `bd3 submit TYPE --help` lists the options of its spec.")
final class SubmitCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  /** Adds a subcommand per job type to {@code submit}: types are data, not annotated classes. */
  static void addJobTypes(CommandLine submit) {
    for (JobType type : JobType.values()) {
      submit.addSubcommand(type.json(), SubmitJobCommand.commandLine(type));
    }
  }

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "Missing required subcommand: train, eval or sample");
  }
}
