package dev.bd3.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The catalog derives from the spec records, and the README's tables from the catalog. */
class SpecCatalogTest {
  private static final Pattern SECTION =
      Pattern.compile("<!-- (spec-fields:\\w+|presets) -->\\n(.*?)<!-- /\\1 -->", Pattern.DOTALL);

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

  /** Each README table between its markers is exactly what the catalog gives. */
  @Test
  void theReadmeTablesAreTheCatalogs() throws Exception {
    Path readme = Path.of(System.getProperty("bd3.root", "..")).resolve("README.md");
    Matcher m = SECTION.matcher(Files.readString(readme));
    Map<String, String> found = new LinkedHashMap<>();
    while (m.find()) {
      found.put(m.group(1), m.group(2));
    }
    Map<String, String> expected = new LinkedHashMap<>();
    for (JobType type : JobType.values()) {
      expected.put("spec-fields:" + type.json(), SpecCatalog.markdown(type));
    }
    expected.put("presets", SpecCatalog.presetsMarkdown());
    for (var e : expected.entrySet()) {
      assertTrue(found.containsKey(e.getKey()), "README has no <!-- " + e.getKey() + " --> table");
      assertEquals(
          e.getValue(),
          found.get(e.getKey()),
          "README table " + e.getKey() + " differs; it should read:\n" + e.getValue());
    }
  }

  private static Map<String, SpecCatalog.Field> byName(JobType type) {
    Map<String, SpecCatalog.Field> fields = new LinkedHashMap<>();
    SpecCatalog.fields(type).forEach(f -> fields.put(f.name(), f));
    return fields;
  }
}
