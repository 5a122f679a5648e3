package dev.bd3.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.SpecCatalog;
import java.lang.reflect.RecordComponent;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.ArgGroupSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Command-line options derived from a job spec record, one per component: {@code blockSize} becomes
 * {@code --block-size} of the component's type, described as the contract's {@link SpecCatalog}
 * describes the field, with its default. Derived, so that a field added to the contract is an
 * option without a change here.
 */
final class SpecOptions {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The options by the JSON field each sets, in the record's order. */
  private final Map<String, OptionSpec> byField = new LinkedHashMap<>();

  private SpecOptions() {}

  /** One option per field of the spec of {@code type}. */
  static SpecOptions of(JobType type) {
    SpecOptions options = new SpecOptions();
    RecordComponent[] components = type.specClass().getRecordComponents();
    List<SpecCatalog.Field> fields = SpecCatalog.fields(type); // in the same order
    for (int i = 0; i < components.length; i++) {
      options.byField.put(components[i].getName(), option(components[i], fields.get(i)));
    }
    return options;
  }

  /** Adds every option to a command, listed in its help under a heading of their own. */
  void addTo(CommandSpec command) {
    ArgGroupSpec.Builder group =
        ArgGroupSpec.builder()
            .heading("Spec fields (unset ones take their defaults):%n")
            .exclusive(false)
            .multiplicity("0..1");
    byField.values().forEach(group::addArg);
    command.addArgGroup(group.build());
  }

  /** The option that sets a field, e.g. {@code --block-size} for {@code blockSize}. */
  OptionSpec option(String field) {
    return byField.get(field);
  }

  /** The fields given on the command line, as a JSON object (those not given are left out). */
  ObjectNode values() {
    ObjectNode values = JSON.createObjectNode();
    byField.forEach(
        (field, option) -> {
          Object value = option.getValue();
          if (value != null) {
            values.set(field, JSON.valueToTree(value));
          }
        });
    return values;
  }

  private static OptionSpec option(RecordComponent component, SpecCatalog.Field field) {
    Class<?> type = component.getType();
    String description =
        field.description()
            + (field.defaultText() == null ? "" : " (default: " + field.defaultText() + ")");
    OptionSpec.Builder option =
        OptionSpec.builder("--" + kebabCase(component.getName()))
            .type(type)
            .paramLabel(paramLabel(type))
            .description(escape(description));
    if (type == Boolean.class || type == boolean.class) {
      option.arity("0..1"); // --use-ema alone is true; --use-ema=false turns a default off
    }
    return option.build();
  }

  /** {@code blockSize} -> {@code block-size}; {@code maxURLLength} -> {@code max-url-length}. */
  static String kebabCase(String camelCase) {
    StringBuilder kebab = new StringBuilder();
    for (int i = 0; i < camelCase.length(); i++) {
      char c = camelCase.charAt(i);
      if (Character.isUpperCase(c) && i > 0) {
        char before = camelCase.charAt(i - 1);
        boolean wordEnds =
            Character.isLowerCase(before)
                || Character.isDigit(before)
                || (i + 1 < camelCase.length() && Character.isLowerCase(camelCase.charAt(i + 1)));
        if (wordEnds && kebab.charAt(kebab.length() - 1) != '-') {
          kebab.append('-');
        }
      }
      kebab.append(Character.toLowerCase(c));
    }
    return kebab.toString();
  }

  private static String paramLabel(Class<?> type) {
    if (type == Integer.class || type == Long.class || type == int.class || type == long.class) {
      return "N";
    }
    if (type == Double.class || type == double.class) {
      return "X";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true|false";
    }
    return "TEXT";
  }

  /** Picocli reads {@code %} as a format and {@code ${} as a variable; a description means neither. */
  static String escape(String description) {
    return description.replace("%", "%%").replace("${", "$${");
  }
}
