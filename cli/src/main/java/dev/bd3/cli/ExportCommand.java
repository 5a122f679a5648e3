package dev.bd3.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bd3 export RUN [--step N|latest] --out DIR}: prints the folder written. */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description =
        "Download a checkpoint of a run in the authors' release layout: DIR/config.json and"
            + " DIR/model.safetensors.")
final class ExportCommand implements Callable<Integer> {
  /** What a release holds; nothing else is written, whatever the zip names. */
  private static final List<String> FILES = List.of("config.json", "model.safetensors");

  @Parameters(index = "0", paramLabel = "RUN", description = "the run's id")
  String run;

  @Option(
      names = "--step",
      paramLabel = "N|latest",
      defaultValue = "latest",
      description = "the checkpoint's step (default: ${DEFAULT-VALUE})")
  String step;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      required = true,
      description = "the folder to write (made if missing)")
  Path out;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    List<String> written = new ArrayList<>();
    try (InputStream release = Main.of(spec).client().release(run, step);
        ZipInputStream zip = new ZipInputStream(release)) {
      Files.createDirectories(out); // once the gateway has the checkpoint
      for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
        if (!FILES.contains(e.getName())) {
          throw new IOException("the release holds an unexpected file: " + e.getName());
        }
        // in full or not at all: a download that breaks off leaves no half model under the name
        Path target = out.resolve(e.getName());
        Path partial = out.resolve("." + e.getName() + ".download");
        Files.copy(zip, partial, StandardCopyOption.REPLACE_EXISTING);
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
        written.add(e.getName());
      }
    }
    if (!written.containsAll(FILES)) {
      throw new IOException("the release lacks " + FILES + "; it held " + written);
    }
    for (String file : FILES) {
      spec.commandLine()
          .getErr()
          .printf("%s: %d bytes%n", out.resolve(file), Files.size(out.resolve(file)));
    }
    spec.commandLine().getOut().println(out);
    return 0;
  }
}
