package dev.bd3.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.jobs.EvalSpec;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.Json;
import dev.bd3.jobs.KafkaTopology;
import dev.bd3.jobs.ResourceEstimate;
import dev.bd3.jobs.SampleSpec;
import dev.bd3.jobs.Topics;
import dev.bd3.jobs.TrainSpec;
import dev.bd3.testsupport.LocalStack;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
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
 * overlay; worker pods that hold the jobs of the preset they are sized for and a gateway that
 * admits only what they hold; autoscaling of every pool on its own queue; the operators' Kafka
 * topics as the suite creates them, and the services pointed at the operators' endpoints and
 * secrets. Runs wherever kubectl is (a Maven profile installs the checker's packages).
 */
class KubernetesManifestsTest {
  private static final Path ROOT = LocalStack.root();
  private static final Path K8S = ROOT.resolve("deploy/k8s");
  private static final Path CHECKERS = ROOT.resolve("deploy/validate");
  private static final Map<String, JobType> WORKERS =
      Map.of("trainer", JobType.TRAIN, "sampler", JobType.SAMPLE, "eval", JobType.EVAL);

  /** What a worker pod holds besides its tensors: the 2 GiB heap and 1 GiB of native overhead. */
  private static final long WORKER_OVERHEAD = 3L << 30;

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

    Rendering r = new Rendering(objects);
    boolean gpu = kustomization.endsWith("gpu");
    for (Map<String, Object> o : r.of("Deployment")) {
      String name = Rendering.name(o);
      Map<String, Object> container = Rendering.container(o);
      assertTrue(container.containsKey("readinessProbe"), name + ": a readiness probe");
      assertTrue(container.containsKey("livenessProbe"), name + ": a liveness probe");
      Map<String, Object> limits = map(map(container.get("resources")).get("limits"));
      assertTrue(limits.containsKey("memory"), name + ": a memory limit");
      if (WORKERS.containsKey(name)) {
        assertEquals(
            gpu, limits.containsKey("nvidia.com/gpu"), name + ": a GPU in the gpu overlay");
        String image = String.valueOf(container.get("image")).split(":")[0]; // without its tag
        assertEquals(gpu, image.endsWith("-gpu"), name + ": its image " + image);
      }
    }
    everyPodReachesTheArtifactStore(r);
    workersHoldWhatTheGatewayAdmits(r);
    everyPoolScalesOnItsQueue(r);
    servicesUseTheOperatorsResources(r);
  }

  /** The objects of one rendering, by kind. */
  private record Rendering(List<Map<String, Object>> objects) {
    List<Map<String, Object>> of(String kind) {
      return objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
    }

    Map<String, Object> named(String kind, String name) {
      return of(kind).stream()
          .filter(o -> name.equals(name(o)))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    Map<String, Object> config() {
      return map(named("ConfigMap", "bd3-config").get("data"));
    }

    static String name(Map<String, Object> object) {
      return String.valueOf(map(object.get("metadata")).get("name"));
    }

    static Map<String, Object> pod(Map<String, Object> deployment) {
      return map(map(map(deployment.get("spec")).get("template")).get("spec"));
    }

    static Map<String, Object> container(Map<String, Object> deployment) {
      return map(list(pod(deployment).get("containers")).get(0));
    }
  }

  /**
   * The gateway and every worker reach the artifact store: the shared volume (the PVC
   * bd3-artifacts, mounted by each), or, where bd3-config names a bucket, the bucket, each pod with
   * a folder of its own and the object storage keys' Secret, and no shared volume left.
   */
  private static void everyPodReachesTheArtifactStore(Rendering r) {
    boolean bucket = r.config().containsKey("BD3_S3_BUCKET");
    assertEquals(
        bucket ? 0 : 1, r.of("PersistentVolumeClaim").size(), "a shared volume unless a bucket");
    for (Map<String, Object> d : r.of("Deployment")) {
      String name = Rendering.name(d);
      Map<String, Object> pod = Rendering.pod(d);
      Map<String, Object> volume =
          list(pod.get("volumes")).stream()
              .map(KubernetesManifestsTest::map)
              .filter(v -> "artifacts".equals(v.get("name")))
              .findFirst()
              .orElseThrow(() -> new AssertionError(name + " has no artifacts volume"));
      Map<String, Object> container = Rendering.container(d);
      assertTrue(
          String.valueOf(container.get("volumeMounts")).contains("name=artifacts"),
          name + " mounts its artifacts volume");
      if (bucket) {
        assertEquals(Set.of("name", "emptyDir"), volume.keySet(), name + ": a folder of its own");
        assertTrue(
            String.valueOf(container.get("envFrom")).contains("bd3-s3"),
            name + " reads the object storage keys");
      } else {
        assertEquals(
            "bd3-artifacts",
            map(volume.get("persistentVolumeClaim")).get("claimName"),
            name + " mounts the shared volume");
      }
    }
  }

  /**
   * Each worker pod's memory limit holds the gateway's admission limit for its pool plus the
   * worker's own overhead, and that admission limit holds the default jobs of the preset the
   * rendering is sized for (ResourceEstimate, the gateway's own rule): what the gateway admits, a
   * worker can run.
   */
  private static void workersHoldWhatTheGatewayAdmits(Rendering r) throws Exception {
    String preset =
        String.valueOf(
            map(map(r.named("ConfigMap", "bd3-config").get("metadata")).get("annotations"))
                .get("bd3.dev/sized-for-preset"));
    TrainSpec model = Json.mapper().readValue("{\"preset\":\"" + preset + "\"}", TrainSpec.class);
    Map<JobType, Long> needs =
        Map.of(
            JobType.TRAIN,
            ResourceEstimate.trainingMemory(model),
            JobType.SAMPLE,
            ResourceEstimate.samplingMemory(Json.mapper().readValue("{}", SampleSpec.class), model),
            JobType.EVAL,
            ResourceEstimate.evaluationMemory(
                Json.mapper().readValue("{}", EvalSpec.class), model));
    for (Map.Entry<String, JobType> worker : WORKERS.entrySet()) {
      String pool = worker.getValue().name();
      String setting = "BD3_" + pool + "_MEMORY";
      long admitted = bytes(String.valueOf(r.config().get(setting)));
      Map<String, Object> resources =
          map(Rendering.container(r.named("Deployment", worker.getKey())).get("resources"));
      long limit = bytes(String.valueOf(map(resources.get("limits")).get("memory")));
      assertTrue(
          admitted + WORKER_OVERHEAD <= limit,
          worker.getKey() + ": " + setting + " plus the worker's overhead exceeds its limit");
      assertTrue(
          needs.get(worker.getValue()) <= admitted,
          setting + " refuses the default " + pool + " job of the preset " + preset);
    }
  }

  /**
   * Where the workers scale (KEDA), each pool has one ScaledObject, on its own deployment and on
   * its own type's open jobs, one replica per job.
   */
  private static void everyPoolScalesOnItsQueue(Rendering r) {
    List<Map<String, Object>> scaled = r.of("ScaledObject");
    if (scaled.isEmpty()) {
      return;
    }
    assertEquals(WORKERS.size(), scaled.size(), "one ScaledObject per worker pool");
    for (Map<String, Object> o : scaled) {
      Map<String, Object> spec = map(o.get("spec"));
      String target = String.valueOf(map(spec.get("scaleTargetRef")).get("name"));
      JobType type = WORKERS.get(target);
      assertTrue(type != null, "scales a worker: " + target);
      r.named("Deployment", target);
      Map<String, Object> trigger = map(list(spec.get("triggers")).get(0));
      Map<String, Object> metadata = map(trigger.get("metadata"));
      assertEquals("prometheus", trigger.get("type"));
      assertEquals(
          "sum(bd3_jobs_open{type=\"" + type.json() + "\"})",
          metadata.get("query"),
          target + " scales on its own queue");
      assertEquals("1", metadata.get("threshold"), target + ": one replica per open job");
    }
  }

  /**
   * Where Strimzi runs Kafka: its topics are the suite's (names and partitions, as KafkaTopology
   * creates them), of that cluster, and the services bootstrap from it. Where CloudNativePG runs
   * PostgreSQL: the gateway connects to its read-write service and database with the credentials
   * the operator generates. Elsewhere the credentials come from the Secret bd3-db.
   */
  private static void servicesUseTheOperatorsResources(Rendering r) {
    Map<String, Object> gatewayEnv = env(Rendering.container(r.named("Deployment", "gateway")));
    List<Map<String, Object>> kafka = r.of("Kafka");
    if (!kafka.isEmpty()) {
      String cluster = Rendering.name(kafka.get(0));
      Set<String> declared =
          r.of("KafkaTopic").stream()
              .map(
                  t -> {
                    assertEquals(
                        cluster,
                        map(map(t.get("metadata")).get("labels")).get("strimzi.io/cluster"));
                    Map<String, Object> spec = map(t.get("spec"));
                    return spec.get("topicName") + "/" + spec.get("partitions");
                  })
              .collect(Collectors.toSet());
      Set<String> created =
          KafkaTopology.topics(Topics.DEFAULT).stream()
              .map(t -> t.name() + "/" + t.numPartitions())
              .collect(Collectors.toSet());
      assertEquals(created, declared, "the KafkaTopics are the suite's topics");
      assertTrue(
          String.valueOf(r.config().get("KAFKA_BOOTSTRAP_SERVERS"))
              .startsWith(cluster + "-kafka-bootstrap."),
          "bootstraps from Strimzi's service");
    }
    List<Map<String, Object>> postgres = r.of("Cluster");
    String secret = "bd3-db";
    if (!postgres.isEmpty()) {
      Map<String, Object> cluster = postgres.get(0);
      String name = Rendering.name(cluster);
      String database =
          String.valueOf(
              map(map(map(cluster.get("spec")).get("bootstrap")).get("initdb")).get("database"));
      assertEquals(
          "jdbc:postgresql://" + name + "-rw.bd3.svc:5432/" + database,
          r.config().get("DB_URL"),
          "the gateway connects to the operator's read-write service");
      secret = name + "-app";
    }
    for (String variable : List.of("DB_USER", "DB_PASSWORD")) {
      Map<String, Object> ref = map(map(gatewayEnv.get(variable)).get("secretKeyRef"));
      assertEquals(secret, ref.get("name"), variable + " comes from " + secret);
    }
  }

  /** A container's env entries by name, each its valueFrom (or value). */
  private static Map<String, Object> env(Map<String, Object> container) {
    return list(container.get("env")).stream()
        .map(KubernetesManifestsTest::map)
        .collect(
            Collectors.toMap(
                e -> String.valueOf(e.get("name")),
                e -> e.containsKey("valueFrom") ? e.get("valueFrom") : e.get("value")));
  }

  /** Bytes of a Kubernetes quantity (8Gi, 512Mi) or a Quarkus memory size (5G: binary units). */
  private static long bytes(String quantity) {
    String q = quantity.toUpperCase(Locale.ROOT).replace("I", "");
    int shift =
        switch (q.charAt(q.length() - 1)) {
          case 'K' -> 10;
          case 'M' -> 20;
          case 'G' -> 30;
          case 'T' -> 40;
          default -> 0;
        };
    String number = shift == 0 ? q : q.substring(0, q.length() - 1);
    return (long) (Double.parseDouble(number) * (1L << shift));
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

  /** The operators' resources are checked against their CRD schemas, not passed unread. */
  @Test
  void theCheckerKnowsTheOperatorsSchemas() throws Exception {
    Output checked =
        validate(
            """
            apiVersion: kafka.strimzi.io/v1
            kind: KafkaTopic
            metadata: {name: t}
            spec: {partitions: one}
            ---
            apiVersion: postgresql.cnpg.io/v1
            kind: Cluster
            metadata: {name: c}
            spec: {instances: 0}
            ---
            apiVersion: keda.sh/v1alpha1
            kind: ScaledObject
            metadata: {name: s}
            spec: {triggers: []}
            """);
    assertEquals(1, checked.exitCode(), checked.out());
    assertTrue(checked.out().contains("spec/partitions must be integer"), checked.out());
    assertTrue(checked.out().contains("spec/instances must be >= 1"), checked.out());
    assertTrue(checked.out().contains("must have required property scaleTargetRef"), checked.out());
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
