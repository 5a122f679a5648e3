package dev.bd3.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tables of a document that the code makes: each sits between {@code <!-- name -->} and {@code <!--
 * /name -->} and must be exactly what the code gives; with {@code -Dbd3.docs.update=true} they are
 * first written there.
 */
public final class DocTables {
  private DocTables() {}

  /** The repository's file {@code relative} (tests run in their module's directory). */
  public static Path doc(String relative) {
    return Path.of(System.getProperty("bd3.root", "..")).resolve(relative);
  }

  /** Checks (after rewriting them when asked) the tables of {@code doc}, by marker name. */
  public static void check(Path doc, Map<String, String> tables) throws IOException {
    String text = Files.readString(doc);
    if (Boolean.getBoolean("bd3.docs.update")) {
      for (var e : tables.entrySet()) {
        String section = open(e.getKey()) + e.getValue() + close(e.getKey());
        text = section(e.getKey()).matcher(text).replaceFirst(Matcher.quoteReplacement(section));
      }
      Files.writeString(doc, text);
    }
    for (var e : tables.entrySet()) {
      Matcher m = section(e.getKey()).matcher(text);
      if (!m.find()) {
        throw new AssertionError(doc + " has no " + open(e.getKey()).strip() + " table");
      }
      if (!m.group(1).equals(e.getValue())) {
        throw new AssertionError(
            doc
                + ": table "
                + e.getKey()
                + " differs (-Dbd3.docs.update=true rewrites it); expected:\n"
                + e.getValue());
      }
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
}
