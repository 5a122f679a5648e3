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

/**
 * The catalog derives from the spec records, and the tables of docs/job-specs.md from the catalog.
 */
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

  /**
   * Each table of docs/job-specs.md between its markers is exactly what the catalog gives. With
   * {@code -Dbd3.docs.update=true} the test first writes them there.
   */
  @Test
  void theDocumentedTablesAreTheCatalogs() throws Exception {
    Map<String, String> expected = new LinkedHashMap<>();
    for (JobType type : JobType.values()) {
      expected.put("spec-fields:" + type.json(), SpecCatalog.markdown(type));
    }
    expected.put("presets", SpecCatalog.presetsMarkdown());
    Path doc = Path.of(System.getProperty("bd3.root", "..")).resolve("docs/job-specs.md");
    String text = Files.readString(doc);
    if (Boolean.getBoolean("bd3.docs.update")) {
      for (var e : expected.entrySet()) {
        text =
            section(e.getKey())
                .matcher(text)
                .replaceFirst(
                    Matcher.quoteReplacement(open(e.getKey()) + e.getValue() + close(e.getKey())));
      }
      Files.writeString(doc, text);
    }
    for (var e : expected.entrySet()) {
      Matcher m = section(e.getKey()).matcher(text);
      assertTrue(m.find(), doc + " has no " + open(e.getKey()).strip() + " table");
      assertEquals(
          e.getValue(),
          m.group(1),
          doc + ": table " + e.getKey() + " differs (-Dbd3.docs.update=true rewrites it)");
    }
  }

  private static Pattern section(String name) {
    return Pattern.compile(
        Pattern.quote(open(name)) + "(.*?)" + Pattern.quote(close(name)), Pattern.DOTALL);
  }

  private static String open(String name) {
    return "<!-- " + name + " -->\n";
  }

  private static String close(String name) {
    return "<!-- /" + name + " -->";
  }

  private static Map<String, SpecCatalog.Field> byName(JobType type) {
    Map<String, SpecCatalog.Field> fields = new LinkedHashMap<>();
    SpecCatalog.fields(type).forEach(f -> fields.put(f.name(), f));
    return fields;
  }
}
