package dev.bd3.sampler;

import dev.bd3.testsupport.ConfigTable;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration.md lists the sampler's own settings as {@link LoadedModels} states them. */
class SamplerConfigDocTest {
  @Test
  void theDocumentedTableIsTheMappings() throws Exception {
    new ConfigTable(Path.of(""), Path.of("src/main/resources/application.properties"))
        .checkDocumented(LoadedModels.Settings.class);
  }
}
