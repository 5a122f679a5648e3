package dev.bd3.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bd3 demo [--steps N]}: the quick start's train -> eval -> sample round. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Train a small BD3-LM (block size 4) on Europarl, evaluate its newest checkpoint and"
          + " generate text with it; print the test perplexity and the samples."
    })
final class DemoCommand implements Callable<Integer> {
  @Option(
      names = "--steps",
      paramLabel = "N",
      defaultValue = "300",
      description = "training steps (default: ${DEFAULT-VALUE})")
  int steps;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Main main = Main.of(spec);
    new Demo(
            main.client(), main.api.toString(), steps, spec.commandLine().getOut(), Main.terminal())
        .run();
    spec.commandLine().getOut().flush();
    return 0;
  }
}
