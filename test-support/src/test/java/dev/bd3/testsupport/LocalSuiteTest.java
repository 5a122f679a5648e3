package dev.bd3.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.jobs.JobType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A suite's files are found where deploy/local/suite puts them. */
class LocalSuiteTest {
  private static final Path ROOT = Path.of("/repo");

  @Test
  void theAdminKeyFileIsFoundAsTheSuiteScriptFindsIt() {
    assertEquals(Path.of("/repo/.bd3/secrets/admin-key"), LocalSuite.adminKeyFile(Map.of(), ROOT));
    assertEquals(
        Path.of("/data/bd3/secrets/admin-key"),
        LocalSuite.adminKeyFile(Map.of("BD3_HOME", "/data/bd3"), ROOT));
    assertEquals(
        Path.of("/etc/bd3/admin-key"),
        LocalSuite.adminKeyFile(
            Map.of(
                "BD3_HOME", "/data/bd3", "BD3_GATEWAY_AUTH_ADMIN_KEY_FILE", "/etc/bd3/admin-key"),
            ROOT));
    // empty is unset, as for the script's ${NAME:-default}
    assertEquals(
        Path.of("/repo/.bd3/secrets/admin-key"),
        LocalSuite.adminKeyFile(
            Map.of("BD3_HOME", "", "BD3_GATEWAY_AUTH_ADMIN_KEY_FILE", ""), ROOT));
  }

  @Test
  void homeIsBd3HomeElseTheRepositorysDotBd3() {
    assertEquals(Path.of("/repo/.bd3"), LocalSuite.home(Map.of(), ROOT));
    assertEquals(Path.of("/data/bd3"), LocalSuite.home(Map.of("BD3_HOME", "/data/bd3"), ROOT));
  }

  /** The rule above is the script's: a change to its defaults shows here. */
  @Test
  void theSuiteScriptDecidesAsTheRuleSays() throws Exception {
    String script = Files.readString(LocalStack.root().resolve("deploy/local/suite"));
    assertTrue(
        script.contains("export BD3_HOME=\"${BD3_HOME:-$ROOT/.bd3}\""), "BD3_HOME's default");
    assertTrue(
        script.contains(
            "export BD3_GATEWAY_AUTH_ADMIN_KEY_FILE=\"${BD3_GATEWAY_AUTH_ADMIN_KEY_FILE:-$BD3_HOME/secrets/admin-key}\""),
        "BD3_GATEWAY_AUTH_ADMIN_KEY_FILE's default");
  }

  /** Every job type's worker has a line in the script's service table, with its port variable. */
  @Test
  void theSuiteRunsTheWorkerOfEveryJobType() throws Exception {
    String script = Files.readString(LocalStack.root().resolve("deploy/local/suite"));
    String table = script.substring(script.indexOf("<<TABLE\n"), script.indexOf("\nTABLE\n"));
    for (String worker : JobType.workers()) {
      String port = LocalSuite.portVariable(worker);
      assertTrue(table.contains("\n" + worker + " ${" + port + ":-"), worker + " in " + table);
    }
  }
}
