package dev.bd3.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.bd3.model.spec.ModelPreset;
import jakarta.validation.constraints.Pattern;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * What each job type's spec holds, derived from the spec records: every field with its JSON type,
 * its default and what it means. The gateway serves it (the dashboard and the CLI read it) and the
 * tables of docs/job-specs.md are written from it (a test keeps them equal).
 */
public final class SpecCatalog {
  private SpecCatalog() {}

  private static final java.util.regex.Pattern CHOICE =
      java.util.regex.Pattern.compile("[a-z][a-z-]*(\\|[a-z][a-z-]*)+");

  /**
   * One field of a spec.
   *
   * @param name the JSON name
   * @param type {@code integer}, {@code number}, {@code boolean} or {@code string}
   * @param defaultValue the default when it is a fixed value, else null
   * @param derivedDefault how the default is derived when it is not fixed, else null
   * @param description what it is
   * @param choices the values it may take, when they are a fixed few (else empty)
   */
  public record Field(
      String name,
      String type,
      JsonNode defaultValue,
      String derivedDefault,
      String description,
      List<String> choices) {

    /** The default as the documentation shows it: a value, how it is derived, or nothing. */
    public String defaultText() {
      if (derivedDefault != null) {
        return derivedDefault;
      }
      if (defaultValue == null) {
        return null;
      }
      return defaultValue.isTextual() && !defaultValue.asText().isEmpty()
          ? defaultValue.asText()
          : defaultValue.toString();
    }
  }

  /** The fields of a job type's spec, in the record's order. */
  public static List<Field> fields(JobType type) {
    JsonNode defaults = Json.mapper().valueToTree(defaults(type));
    return Arrays.stream(type.specClass().getRecordComponents())
        .map(c -> field(c, defaults))
        .toList();
  }

  /**
   * A spec of that type with every default that does not depend on another job filled in (a
   * sample's on the model's block size: the default preset's here).
   */
  public static JobSpec defaults(JobType type) {
    JobSpec empty;
    try {
      empty = Json.mapper().readValue("{}", type.specClass());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    if (empty instanceof TrainSpec t) {
      return t.resolved();
    }
    if (empty instanceof EvalSpec e) {
      return e.resolved();
    }
    return ((SampleSpec) empty).resolved(ModelPreset.DEFAULT.blockSize);
  }

  /** The documented table of a job type's fields (Markdown). */
  public static String markdown(JobType type) {
    StringBuilder table = new StringBuilder("| field | default | meaning |\n|---|---|---|\n");
    for (Field f : fields(type)) {
      table
          .append("| `")
          .append(f.name())
          .append("` | ")
          .append(f.defaultText() == null ? "" : "`" + f.defaultText() + "`")
          .append(" | ")
          .append(f.description())
          .append(
              f.choices().isEmpty()
                  ? ""
                  : ": " + String.join(", ", f.choices().stream().map(c -> "`" + c + "`").toList()))
          .append(" |\n");
    }
    return table.toString();
  }

  /** The documented table of the model presets (Markdown). */
  public static String presetsMarkdown() {
    StringBuilder table =
        new StringBuilder(
            "| preset | layers | width | heads | context L | block L' | dropout | adaLN C |\n"
                + "|---|---|---|---|---|---|---|---|\n");
    for (ModelPreset p : ModelPreset.values()) {
      table.append(
          Arrays.stream(
                  new Object[] {
                    "`" + p.json() + "`" + (p == ModelPreset.DEFAULT ? " (default)" : ""),
                    p.layers,
                    p.width,
                    p.heads,
                    p.contextLength,
                    p.blockSize,
                    p.dropout,
                    p.condDim
                  })
              .map(String::valueOf)
              .collect(Collectors.joining(" | ", "| ", " |\n")));
    }
    return table.toString();
  }

  private static Field field(RecordComponent c, JsonNode defaults) {
    Schema schema =
        c.getAccessor().getAnnotation(Schema.class); // Schema targets methods, not components
    DerivedDefault derived = c.getAnnotation(DerivedDefault.class);
    JsonNode value = defaults.get(c.getName());
    return new Field(
        c.getName(),
        jsonType(c.getType()),
        derived != null || value == null || value.isNull() ? null : value,
        derived == null ? null : derived.value(),
        schema == null ? c.getName() : schema.description(),
        choices(c.getAccessor().getAnnotation(Pattern.class)));
  }

  /** The words of a pattern that is only a choice among words ({@code ddpm|first-hitting}). */
  private static List<String> choices(Pattern pattern) {
    return pattern != null && CHOICE.matcher(pattern.regexp()).matches()
        ? List.of(pattern.regexp().split("\\|"))
        : List.of();
  }

  private static String jsonType(Class<?> type) {
    if (type == Integer.class || type == Long.class) {
      return "integer";
    }
    if (type == Double.class) {
      return "number";
    }
    return type.getSimpleName().toLowerCase(Locale.ROOT);
  }
}
