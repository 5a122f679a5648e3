package dev.bd3.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bd3.testsupport.ConfigTable;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** docs/configuration.md lists the workers' settings as {@link WorkerConfig} states them. */
class WorkerConfigDocTest {
  private static ConfigTable table() throws Exception {
    return new ConfigTable(Path.of(""), Path.of("src/main/resources/bd3-worker.properties"));
  }

  @Test
  void theDocumentedTableIsTheMappings() throws Exception {
    table().checkDocumented(WorkerConfig.class);
  }

  @Test
  void aSettingSharedWithTheGatewayKeepsItsSharedName() throws Exception {
    Map<String, String> environment = new HashMap<>();
    table().settings(WorkerConfig.class).forEach(s -> environment.put(s.name(), s.environment()));
    assertEquals("BD3_ARTIFACTS", environment.get("bd3.worker.artifact-dir"));
    assertEquals("DJL_CACHE_DIR", environment.get("bd3.worker.djl-cache-dir"));
    assertEquals("BD3_WORKER_SLOTS", environment.get("bd3.worker.slots"));
  }
}
