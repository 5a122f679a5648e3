package dev.bd3.gateway;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.testsupport.ConfigTable;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration.md lists the gateway's settings as {@link GatewayConfig} states them. */
class GatewayConfigDocTest {
  private static ConfigTable table() throws Exception {
    return new ConfigTable(Path.of(""), Path.of("src/main/resources/application.properties"));
  }

  @Test
  void theDocumentedTableIsTheMappings() throws Exception {
    table().checkDocumented(GatewayConfig.class);
  }

  @Test
  void everySettingHasTheSuitesPrefix() throws Exception {
    for (ConfigTable.Setting s : table().settings(GatewayConfig.class)) {
      assertTrue(s.environment().startsWith("BD3_"), s.name() + " is set by " + s.environment());
    }
  }
}
