package dev.bd3.sampler;

import dev.bd3.testsupport.ConfigTable;
import dev.bd3.testsupport.DocTables;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** docs/configuration.md lists the sampler's own settings as {@link LoadedModels} states them. */
class SamplerConfigDocTest {
  @Test
  void theDocumentedTableIsTheMappings() throws Exception {
    ConfigTable table =
        new ConfigTable(Path.of(""), Path.of("src/main/resources/application.properties"));
    DocTables.check(
        DocTables.doc("docs/configuration.md"),
        Map.of("config:bd3.sampler", table.markdown(LoadedModels.Settings.class)));
  }
}
