package dev.bd3.e2e;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One of the suite's Dockerfiles, read for what its image gives a container: the user it runs as,
 * that user's group id, and the folders made for that user. Comments are left out and each
 * instruction is one line (its continuations joined).
 */
record Dockerfile(Path path, String text) {
  /** The end of a word in a shell command: a blank, the end of the command, or of the line. */
  private static final String END = "(?=[\\s&;|]|$)";

  static Dockerfile read(Path path) throws IOException {
    String text =
        Files.readString(path).replaceAll("(?m)^\\s*#.*\\R", "").replaceAll("\\\\\\R", " ");
    return new Dockerfile(path, text);
  }

  /**
   * The Dockerfile of an image a Kubernetes manifest names ({@code bd3/<module>[-gpu][:tag]}): the
   * module's JVM Dockerfile, or for a GPU image the shared deploy/docker/Dockerfile.gpu.
   */
  static Dockerfile ofImage(Path root, String image) throws IOException {
    String name = image.split(":")[0];
    assertTrue(name.startsWith("bd3/"), "not one of the suite's images: " + image);
    String module = name.substring("bd3/".length());
    Path path =
        module.endsWith("-gpu")
            ? root.resolve("deploy/docker/Dockerfile.gpu")
            : root.resolve(module).resolve("src/main/docker/Dockerfile.jvm");
    assertTrue(Files.isRegularFile(path), image + ": no " + path);
    return read(path);
  }

  /** The user a container runs as: the last USER instruction's. */
  String user() {
    Matcher m = Pattern.compile("(?m)^USER\\s+(\\S+)").matcher(text);
    String user = null;
    while (m.find()) {
      user = m.group(1);
    }
    assertNotNull(user, path + ": no USER, so its containers run as root");
    return user;
  }

  /**
   * The id of the user's group: {@code useradd --gid} with a number, or with a group that {@code
   * groupadd --gid} made. Without either the id is whatever the base image had free.
   */
  int gid() {
    String user = user();
    Matcher useradd =
        Pattern.compile(
                "useradd\\s(?:[^&;|\\n]*\\s)?--gid\\s+(\\S+)\\s(?:[^&;|\\n]*\\s)?"
                    + Pattern.quote(user)
                    + END,
                Pattern.MULTILINE)
            .matcher(text);
    assertTrue(useradd.find(), path + ": useradd gives " + user + " no fixed group (--gid)");
    String group = useradd.group(1);
    if (group.matches("\\d+")) {
      return Integer.parseInt(group);
    }
    Matcher groupadd =
        Pattern.compile(
                "groupadd\\s(?:[^&;|\\n]*\\s)?--gid\\s+(\\d+)\\s(?:[^&;|\\n]*\\s)?"
                    + Pattern.quote(group)
                    + END,
                Pattern.MULTILINE)
            .matcher(text);
    assertTrue(groupadd.find(), path + ": groupadd gives the group " + group + " no fixed id");
    return Integer.parseInt(groupadd.group(1));
  }

  /**
   * Whether the image makes {@code dir} and gives it to its user: a volume mounted there that is
   * new takes its owner from the image's folder, and without one it would be root's.
   */
  boolean makesForItsUser(String dir) {
    String target = "\\s(?:[^&;|\\n]*\\s)?" + Pattern.quote(dir) + END;
    return Pattern.compile("mkdir" + target, Pattern.MULTILINE).matcher(text).find()
        && Pattern.compile(
                "chown\\s+(?:-R\\s+)?" + Pattern.quote(user()) + "(?::\\S+)?" + target,
                Pattern.MULTILINE)
            .matcher(text)
            .find();
  }
}
