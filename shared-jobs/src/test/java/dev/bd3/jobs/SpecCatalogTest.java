package dev.bd3.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The catalog derives from the spec records (JobSpecsDocTest checks docs/job-specs.md by it). */
class SpecCatalogTest {
  @Test
  void everyFieldOfEverySpecIsListedWithItsDefault() {
    for (JobType type : JobType.values()) {
      List<SpecCatalog.Field> fields = SpecCatalog.fields(type);
      assertEquals(
          Arrays.stream(type.specClass().getRecordComponents()).map(c -> c.getName()).toList(),
          fields.stream().map(SpecCatalog.Field::name).toList());
      fields.forEach(f -> assertNotNull(f.description(), f.name()));
    }
    Map<String, SpecCatalog.Field> train = byName(JobType.TRAIN);
    assertEquals(300, train.get("steps").defaultValue().asInt());
    assertEquals("cpu", train.get("preset").defaultText());
    assertNull(train.get("warmupSteps").defaultValue(), "derived from steps");
    assertEquals("min(50, steps / 10)", train.get("warmupSteps").defaultText());
    assertNull(train.get("initFrom").defaultText(), "no default");
    assertEquals("integer", train.get("layers").type());
    assertEquals("number", train.get("emaDecay").type());
    assertEquals("\"\"", byName(JobType.SAMPLE).get("prompt").defaultText());
    assertEquals("L'", byName(JobType.SAMPLE).get("steps").defaultText());
  }

  private static Map<String, SpecCatalog.Field> byName(JobType type) {
    Map<String, SpecCatalog.Field> fields = new LinkedHashMap<>();
    SpecCatalog.fields(type).forEach(f -> fields.put(f.name(), f));
    return fields;
  }
}
