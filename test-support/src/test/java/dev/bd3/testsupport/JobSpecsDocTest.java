package dev.bd3.testsupport;

import dev.bd3.jobs.JobType;
import dev.bd3.jobs.SpecCatalog;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The tables of docs/job-specs.md are what the spec catalog gives. */
class JobSpecsDocTest {
  @Test
  void theDocumentedTablesAreTheCatalogs() throws Exception {
    Map<String, String> tables = new LinkedHashMap<>();
    for (JobType type : JobType.values()) {
      tables.put("spec-fields:" + type.json(), SpecCatalog.markdown(type));
    }
    tables.put("presets", SpecCatalog.presetsMarkdown());
    DocTables.check(DocTables.doc("docs/job-specs.md"), tables);
  }
}
