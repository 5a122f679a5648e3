package dev.bd3.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.testsupport.LocalStack;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker-compose.yml against the Compose specification's schema and the linter's rules, with dclint
 * from the npm registry ({@code deploy/validate}, its settings in {@code dclint.yaml}): no property
 * the specification does not know, every published port on an interface. Runs wherever npm is (a
 * Maven profile installs the checker).
 */
class ComposeSchemaTest {
  private static final Path ROOT = LocalStack.root();
  private static final Path CHECKERS = ROOT.resolve("deploy/validate");

  record Output(int exitCode, String out) {}

  @Test
  void theComposeFileFollowsTheSpecification() throws Exception {
    Output checked = dclint(ROOT.resolve("docker-compose.yml"));
    assertEquals(0, checked.exitCode(), checked.out());
  }

  /** The checker finds what is wrong: a property the specification does not have, a bare port. */
  @Test
  void theCheckerRefusesWhatIsInvalid(@TempDir Path dir) throws Exception {
    Path unknown =
        Files.writeString(
            dir.resolve("unknown.yml"),
            "name: t\nservices:\n  a:\n    image: x:1\n    restrat: always\n");
    Output checked = dclint(unknown);
    assertNotEquals(0, checked.exitCode(), checked.out());
    assertTrue(checked.out().contains("must NOT have additional properties"), checked.out());

    Path open =
        Files.writeString(
            dir.resolve("open.yml"),
            "name: t\nservices:\n  a:\n    image: x:1\n    ports: [\"8080:8080\"]\n");
    checked = dclint(open);
    assertNotEquals(0, checked.exitCode(), checked.out());
    assertTrue(checked.out().contains("no-unbound-port-interfaces"), checked.out());
  }

  private static Output dclint(Path file) throws Exception {
    ProcessBuilder command =
        new ProcessBuilder(
                CHECKERS.resolve("node_modules/.bin/dclint").toString(),
                file.toString(),
                "-c",
                CHECKERS.resolve("dclint.yaml").toString(),
                "-q")
            .directory(CHECKERS.toFile())
            .redirectErrorStream(true);
    command.environment().put("FORCE_COLOR", "0");
    Process process = command.start();
    process.getOutputStream().close();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Output(process.waitFor(), out);
  }
}
