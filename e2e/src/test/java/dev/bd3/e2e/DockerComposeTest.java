package dev.bd3.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.jobs.LocalStack;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * No Docker engine runs here, so docker-compose.yml is checked for what can be checked offline: it
 * parses, every service it builds has its Dockerfile, and the ports and variables it gives each
 * service are ones that service's configuration reads.
 */
class DockerComposeTest {
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)[:}]");
  private static final Map<String, String> PORT_VARIABLE =
      Map.of(
          "gateway",
          "GATEWAY_PORT",
          "trainer",
          "TRAINER_PORT",
          "sampler",
          "SAMPLER_PORT",
          "eval",
          "EVAL_PORT",
          "trainer-gpu",
          "TRAINER_PORT");

  private final Path root = LocalStack.root();

  @Test
  @SuppressWarnings("unchecked")
  void composeFileMatchesTheServices() throws IOException {
    Map<String, Object> compose;
    try (Reader r = Files.newBufferedReader(root.resolve("docker-compose.yml"))) {
      compose = new Yaml().load(r);
    }
    Map<String, Map<String, Object>> services =
        (Map<String, Map<String, Object>>) compose.get("services");
    assertTrue(
        services
            .keySet()
            .containsAll(List.of("kafka", "postgres", "gateway", "trainer", "sampler", "eval")));

    for (String name : PORT_VARIABLE.keySet()) {
      Map<String, Object> service = services.get(name);
      assertNotNull(service, name);
      Map<String, Object> build = (Map<String, Object>) service.get("build");
      Path dockerfile =
          root.resolve((String) build.get("context"))
              .resolve((String) build.get("dockerfile"))
              .normalize();
      assertTrue(Files.isRegularFile(dockerfile), name + ": no " + dockerfile);

      String module = name.replace("-gpu", "") + "-service";
      Set<String> read = variablesRead(module);
      Map<String, Object> env = (Map<String, Object>) service.get("environment");
      for (String variable : env.keySet()) {
        assertTrue(
            read.contains(variable),
            name + " sets " + variable + ", which " + module + " never reads");
      }
      String port = String.valueOf(env.get(PORT_VARIABLE.get(name)));
      List<String> ports = (List<String>) service.get("ports");
      if (ports != null) {
        assertEquals(port, ports.get(0).split(":")[1], name + ": published port");
      }
      if (dockerfile.getFileName().toString().endsWith(".jvm")) {
        assertTrue(
            Files.readString(dockerfile).contains("EXPOSE " + port),
            name + ": Dockerfile exposes " + port);
      }
      if (env.containsKey("KAFKA_BOOTSTRAP_SERVERS")) {
        assertEquals("kafka:9092", env.get("KAFKA_BOOTSTRAP_SERVERS"));
      }
      if (env.containsKey("DB_URL")) {
        assertTrue(
            String.valueOf(env.get("DB_URL")).startsWith("jdbc:postgresql://postgres:5432/"));
      }
    }
    Map<String, Object> kafkaEnv = (Map<String, Object>) services.get("kafka").get("environment");
    assertEquals("PLAINTEXT://kafka:9092", kafkaEnv.get("KAFKA_ADVERTISED_LISTENERS"));
  }

  /** Environment variables the module's configuration reads ({@code ${NAME:default}}). */
  private Set<String> variablesRead(String module) throws IOException {
    Set<String> names = new HashSet<>();
    List<Path> files =
        List.of(
            root.resolve(module).resolve("src/main/resources/application.properties"),
            root.resolve("shared-worker/src/main/resources/bd3-worker.properties"));
    for (Path f : files) {
      boolean worker =
          !module.startsWith("gateway") || f.toString().contains("application.properties");
      if (Files.exists(f) && worker) {
        Matcher m = VARIABLE.matcher(Files.readString(f));
        while (m.find()) {
          names.add(m.group(1));
        }
      }
    }
    return names;
  }
}
