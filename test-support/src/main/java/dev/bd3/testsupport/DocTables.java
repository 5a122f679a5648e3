package dev.bd3.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parts of the repository's files that the code makes: a section of a document sits between {@code
 * <!-- name -->} and {@code <!-- /name -->} (Markdown) or between the lines {@code # generated:
 * name} and {@code # end generated: name} (YAML, shell), and must be exactly what the code gives; a
 * generated file must be so as a whole. With {@code -Dbd3.docs.update=true} they are first written.
 */
public final class DocTables {
  private static final String UPDATE = "(-Dbd3.docs.update=true rewrites it)";

  private DocTables() {}

  /** The repository's file {@code relative} (tests run in their module's directory). */
  public static Path doc(String relative) {
    return Path.of(System.getProperty("bd3.root", "..")).resolve(relative);
  }

  /** Checks (after rewriting them when asked) the sections of {@code doc}, by marker name. */
  public static void check(Path doc, Map<String, String> sections) throws IOException {
    String text = Files.readString(doc);
    if (updating()) {
      for (var e : sections.entrySet()) {
        text =
            section(doc, e.getKey())
                .matcher(text)
                .replaceFirst("$1" + Matcher.quoteReplacement(e.getValue()) + "$3");
      }
      Files.writeString(doc, text);
    }
    for (var e : sections.entrySet()) {
      Matcher m = section(doc, e.getKey()).matcher(text);
      if (!m.find()) {
        throw new AssertionError(doc + " has no section " + e.getKey());
      }
      if (!m.group(2).equals(e.getValue())) {
        throw new AssertionError(
            doc
                + ": section "
                + e.getKey()
                + " differs "
                + UPDATE
                + "; expected:\n"
                + e.getValue());
      }
    }
  }

  /** Checks (after writing it when asked) that {@code file} is exactly {@code content}. */
  public static void checkFile(Path file, String content) throws IOException {
    if (updating()) {
      Files.writeString(file, content);
    }
    String text = Files.exists(file) ? Files.readString(file) : "";
    if (!text.equals(content)) {
      throw new AssertionError(file + " differs " + UPDATE + "; expected:\n" + content);
    }
  }

  private static boolean updating() {
    return Boolean.getBoolean("bd3.docs.update");
  }

  /** Groups: the opening marker, the section, the closing marker. */
  private static Pattern section(Path doc, String name) {
    String n = Pattern.quote(name);
    return doc.toString().endsWith(".md")
        ? Pattern.compile("(<!-- " + n + " -->\n)(.*?)(<!-- /" + n + " -->)", Pattern.DOTALL)
        : Pattern.compile(
            "(^[ \\t]*# generated: " + n + "\n)(.*?)(^[ \\t]*# end generated: " + n + "$)",
            Pattern.DOTALL | Pattern.MULTILINE);
  }
}
