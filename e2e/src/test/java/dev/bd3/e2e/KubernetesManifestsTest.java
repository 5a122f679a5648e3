package dev.bd3.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.testsupport.LocalStack;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.Yaml;

/**
 * The Kubernetes manifests as they would be applied: the base and every overlay rendered by {@code
 * kubectl kustomize}, each object checked against the Kubernetes API schemas by {@code
 * deploy/k8s/validate} (npm's kubernetes-models), and what the suite needs of them: probes, memory
 * limits, the artifact store in the gateway and every worker, a GPU for every worker of the gpu
 * overlay. Runs wherever kubectl is (a Maven profile installs the checker's packages).
 */
class KubernetesManifestsTest {
  private static final Path ROOT = LocalStack.root();
  private static final Path K8S = ROOT.resolve("deploy/k8s");
  private static final Path CHECKERS = ROOT.resolve("deploy/validate");
  private static final List<String> WORKERS = List.of("trainer", "sampler", "eval");

  record Output(int exitCode, String out) {}

  static Stream<Path> kustomizations() throws IOException {
    try (Stream<Path> overlays = Files.list(K8S.resolve("overlays"))) {
      List<Path> all = new ArrayList<>(List.of(K8S.resolve("base")));
      overlays.sorted().forEach(all::add);
      return all.stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomizations")
  void everyObjectIsValidAndHasWhatTheSuiteNeeds(Path kustomization) throws Exception {
    Output rendered = run(null, "kubectl", "kustomize", kustomization.toString());
    assertEquals(0, rendered.exitCode(), rendered.out());
    Output checked = validate(rendered.out());
    List<Map<String, Object>> objects = new ArrayList<>();
    for (Object o : new Yaml().loadAll(rendered.out())) {
      objects.add(map(o));
    }
    assertEquals(0, checked.exitCode(), checked.out());
    assertEquals(objects.size(), checked.out().lines().filter(l -> l.endsWith(": valid")).count());

    boolean gpu = kustomization.endsWith("gpu");
    for (Map<String, Object> o : objects) {
      if (!"Deployment".equals(o.get("kind"))) {
        continue;
      }
      String name = String.valueOf(map(o.get("metadata")).get("name"));
      Map<String, Object> pod = map(map(map(o.get("spec")).get("template")).get("spec"));
      Map<String, Object> container = map(list(pod.get("containers")).get(0));
      assertTrue(container.containsKey("readinessProbe"), name + ": a readiness probe");
      assertTrue(container.containsKey("livenessProbe"), name + ": a liveness probe");
      Map<String, Object> limits = map(map(container.get("resources")).get("limits"));
      assertTrue(limits.containsKey("memory"), name + ": a memory limit");
      assertTrue(
          String.valueOf(pod.get("volumes")).contains("bd3-artifacts"),
          name + " mounts the artifact store");
      if (WORKERS.contains(name)) {
        assertEquals(
            gpu, limits.containsKey("nvidia.com/gpu"), name + ": a GPU in the gpu overlay");
        String image = String.valueOf(container.get("image")).split(":")[0]; // without its tag
        assertEquals(gpu, image.endsWith("-gpu"), name + ": its image " + image);
      }
    }
  }

  /** The checker finds what is wrong: a wrong type, a missing required field, an unknown kind. */
  @Test
  void theCheckerRefusesWhatIsInvalid() throws Exception {
    Output checked =
        validate(
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: broken}
            spec:
              replicas: two
              selector: {}
              template: {spec: {containers: [{image: x}]}}
            ---
            apiVersion: example.com/v1
            kind: Unknown
            metadata: {name: u}
            """);
    assertEquals(1, checked.exitCode(), checked.out());
    assertTrue(checked.out().contains("spec/replicas must be integer"), checked.out());
    assertTrue(checked.out().contains("must have required property name"), checked.out());
    assertTrue(checked.out().contains("no schema for example.com/v1 Unknown"), checked.out());
  }

  private static Output validate(String yaml) throws Exception {
    return run(yaml, "node", CHECKERS.resolve("kubernetes.mjs").toString());
  }

  private static Output run(String stdin, String... command) throws Exception {
    Process process =
        new ProcessBuilder(command).directory(CHECKERS.toFile()).redirectErrorStream(true).start();
    try (var in = process.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    }
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Output(process.waitFor(), out);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o == null ? Map.of() : (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object o) {
    return o == null ? List.of() : (List<Object>) o;
  }
}
