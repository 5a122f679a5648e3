package dev.bd3.jobs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version of the code this process runs, as the build recorded it: {@code 0.1.0-SNAPSHOT+
 * 1a2b3c4}, with {@code .dirty} when the working tree had uncommitted changes. Workers report it
 * with every event, so that a run shows exactly which code ran it.
 */
public final class CodeVersion {
  private static final String CURRENT = read();

  private CodeVersion() {}

  public static String current() {
    return CURRENT;
  }

  private static String read() {
    Properties p = new Properties();
    try (InputStream in = CodeVersion.class.getResourceAsStream("build.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String version = p.getProperty("version", "unknown");
    String commit = p.getProperty("commit", "");
    // outside a git clone (a source archive) the build has no commit to record
    if (commit.isBlank() || commit.startsWith("${")) {
      return version;
    }
    return version + "+" + commit + ("true".equals(p.getProperty("dirty")) ? ".dirty" : "");
  }
}
