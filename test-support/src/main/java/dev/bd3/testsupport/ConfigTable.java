package dev.bd3.testsupport;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.io.IOException;
import java.io.Reader;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The settings table of a {@link ConfigMapping} for docs/configuration.md, made from the code: each
 * setting's name (kebab case, as SmallRye Config names it), its environment variable (the one the
 * properties file names in {@code ${NAME:default}}, else the canonical one: {@code
 * bd3.gateway.outbox.interval} is {@code BD3_GATEWAY_OUTBOX_INTERVAL}), its default ({@link
 * WithDefault}, else the properties file's) and its meaning (the getter's javadoc, read from the
 * source). A setting without javadoc is an error: every setting says what it does.
 */
public final class ConfigTable {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z0-9_]+):(.*)}");
  private static final Pattern JAVADOC = Pattern.compile("/\\*\\*(.*?)\\*/", Pattern.DOTALL);

  /** One row. */
  public record Setting(String name, String environment, String defaultValue, String meaning) {}

  private final Path sources;
  private final Properties properties = new Properties();

  /**
   * @param module the module's directory (its {@code src/main/java} holds the mapping's source)
   * @param propertiesFile the properties file the module reads, {@code %profile} lines ignored
   */
  public ConfigTable(Path module, Path propertiesFile) throws IOException {
    this.sources = module.resolve("src/main/java");
    try (Reader in = Files.newBufferedReader(propertiesFile)) {
      properties.load(in);
    }
  }

  /** The settings of {@code mapping}, by name. */
  public List<Setting> settings(Class<?> mapping) throws IOException {
    List<Setting> rows = new ArrayList<>();
    collect(mapping, mapping.getAnnotation(ConfigMapping.class).prefix(), rows);
    rows.sort(Comparator.comparing(Setting::name));
    return rows;
  }

  /**
   * Checks that docs/configuration.md lists {@code mapping}'s settings as this table (its section
   * {@code config:<prefix>}).
   */
  public void checkDocumented(Class<?> mapping) throws IOException {
    DocTables.check(
        DocTables.doc("docs/configuration.md"),
        Map.of("config:" + mapping.getAnnotation(ConfigMapping.class).prefix(), markdown(mapping)));
  }

  /** The settings of {@code mapping} as a markdown table. */
  public String markdown(Class<?> mapping) throws IOException {
    StringBuilder table =
        new StringBuilder("| setting | environment | default | meaning |\n|---|---|---|---|\n");
    for (Setting s : settings(mapping)) {
      table.append(
          String.format(
              "| `%s` | `%s` | %s | %s |%n",
              s.name(),
              s.environment(),
              s.defaultValue().isEmpty() ? "(none)" : "`" + s.defaultValue() + "`",
              s.meaning().replace("|", "\\|")));
    }
    return table.toString();
  }

  private void collect(Class<?> group, String prefix, List<Setting> rows) throws IOException {
    for (Method m : group.getDeclaredMethods()) {
      if (m.isDefault() || Modifier.isStatic(m.getModifiers()) || m.getParameterCount() > 0) {
        continue;
      }
      String name = prefix + "." + settingName(m);
      if (isGroup(m.getReturnType())) {
        collect(m.getReturnType(), name, rows);
        continue;
      }
      String raw = properties.getProperty(name);
      Matcher placeholder = raw == null ? null : PLACEHOLDER.matcher(raw);
      boolean named = placeholder != null && placeholder.matches();
      WithDefault given = m.getAnnotation(WithDefault.class);
      if (given != null && raw != null) {
        throw new IllegalStateException(
            name + ": default stated twice, in the mapping and in the properties file");
      }
      String defaultValue =
          given != null ? given.value() : named ? placeholder.group(2) : raw == null ? "" : raw;
      rows.add(
          new Setting(
              name, named ? placeholder.group(1) : canonical(name), defaultValue, javadoc(m)));
    }
  }

  /** A nested interface of settings, rather than a value. */
  private static boolean isGroup(Class<?> type) {
    return type.isInterface()
        && type.getEnclosingClass() != null
        && !type.getName().startsWith("java.");
  }

  private static String settingName(Method m) {
    WithName named = m.getAnnotation(WithName.class);
    return named != null
        ? named.value()
        : m.getName().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
  }

  /** SmallRye Config's environment name for a property: upper case, other characters {@code _}. */
  static String canonical(String name) {
    return name.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
  }

  /** The getter's javadoc in one line, {@code {@code x}} as markdown code. */
  private String javadoc(Method m) throws IOException {
    Class<?> group = m.getDeclaringClass();
    String body = body(group);
    Matcher getter =
        Pattern.compile("\\s(?:[\\w.<>]+)\\s+" + m.getName() + "\\(\\);").matcher(body);
    if (!getter.find()) {
      throw new IllegalStateException("no source for " + group.getName() + "." + m.getName());
    }
    String before = body.substring(0, getter.start());
    int end = before.lastIndexOf("*/");
    String between = end < 0 ? "" : before.substring(end + 2);
    if (end < 0 || !between.strip().replaceAll("@\\w+(\\([^)]*\\))?", "").isBlank()) {
      throw new IllegalStateException(
          group.getName() + "." + m.getName() + "() has no javadoc: say what the setting does");
    }
    Matcher doc = JAVADOC.matcher(before.substring(before.lastIndexOf("/**")));
    doc.find();
    return doc.group(1)
        .replaceAll("\\s*\\n\\s*\\*?\\s*", " ")
        .replaceAll("\\{@code ([^}]*)}", "`$1`")
        .replaceAll("\\{@link (?:[\\w.]+\\.)?([\\w#()]+)}", "`$1`")
        .strip();
  }

  /** The source text of an interface's body, nested ones included. */
  private String body(Class<?> type) throws IOException {
    Class<?> outer = type;
    while (outer.getEnclosingClass() != null) {
      outer = outer.getEnclosingClass();
    }
    String source = Files.readString(sources.resolve(outer.getName().replace('.', '/') + ".java"));
    Matcher open =
        Pattern.compile("\\binterface " + type.getSimpleName() + "\\b[^{]*\\{").matcher(source);
    if (!open.find()) {
      throw new IllegalStateException("no source for " + type.getName());
    }
    int depth = 1;
    int i = open.end();
    while (depth > 0) {
      char c = source.charAt(i++);
      depth += c == '{' ? 1 : c == '}' ? -1 : 0;
    }
    return source.substring(open.end(), i - 1);
  }
}
