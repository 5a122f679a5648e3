package dev.bd3.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.jobs.JobSpec;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.Json;
import dev.bd3.jobs.Topics;
import dev.bd3.jobs.TrainSpec;
import dev.bd3.kafka.KafkaTopology;
import dev.bd3.testsupport.LocalStack;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * admits only what they hold; autoscaling of every pool on its own queue, each metric it reads
 * scraped by a shipped PodMonitor or ServiceMonitor; the operators' Kafka topics as the suite
 * creates them, and the services pointed at the operators' endpoints and secrets. Runs wherever
 * kubectl is (a Maven profile installs the checker's packages).
 */
class KubernetesManifestsTest {
  private static final Path ROOT = LocalStack.root();
  private static final Path K8S = ROOT.resolve("deploy/k8s");
  private static final Path CHECKERS = ROOT.resolve("deploy/validate");
  private static final Map<String, JobType> WORKERS =
      Arrays.stream(JobType.values()).collect(Collectors.toMap(JobType::worker, t -> t));

  /** What a worker pod holds besides its tensors: the 2 GiB heap and 1 GiB of native overhead. */
  private static final long WORKER_OVERHEAD = 3L << 30;

  /**
   * The Prometheus Operator's API: no package of deploy/validate has its CRD schemas (and none is
   * fetched for it), so its objects skip the checker and monitorsAreWellFormed checks them.
   */
  private static final String MONITORING = "monitoring.coreos.com/v1";

  private static final Pattern MONITORING_DOCUMENT =
      Pattern.compile("(?m)^apiVersion: ['\"]?monitoring\\.coreos\\.com/");

  /** Where each monitor kind lists what it scrapes. */
  private static final Map<String, String> MONITOR_ENDPOINTS =
      Map.of("PodMonitor", "podMetricsEndpoints", "ServiceMonitor", "endpoints");

  /** A duration as the monitors' CRDs accept it (their Duration pattern). */
  private static final Pattern DURATION =
      Pattern.compile(
          "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?"
              + "(([0-9]+)ms)?)$");

  /**
   * The deployment whose pods serve each metric the autoscaling reads (GatewayMetrics registers
   * bd3_jobs_open, GatewayMetricsTest checks the gateway serves it); its module is NAME-service.
   */
  private static final Map<String, String> METRIC_SOURCES = Map.of("bd3_jobs_open", "gateway");

  /** PromQL's words that look like metric names but are not. */
  private static final Set<String> PROMQL_WORDS =
      Set.of("and", "or", "unless", "bool", "offset", "inf", "nan");

  record Output(int exitCode, String out) {}

  static Stream<Path> kustomizations() throws IOException {
    try (Stream<Path> overlays = Files.list(K8S.resolve("overlays"))) {
      List<Path> all = new ArrayList<>(List.of(K8S.resolve("base")));
      overlays.sorted().forEach(all::add);
      return all.stream();
    }
  }

  /**
   * Every pod runs with its image's group as fsGroup, so that a volume it mounts, root's when new,
   * is made writable to the image's user; and an image whose pod mounts /artifacts makes that
   * folder for its user (a runtime's fresh volume takes its owner from the image's folder).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomizations")
  void everyPodWritesItsVolumesAsItsImagesUser(Path kustomization) throws Exception {
    Output rendered = run(null, "kubectl", "kustomize", kustomization.toString());
    assertEquals(0, rendered.exitCode(), rendered.out());
    for (Map<String, Object> d : rendering(rendered.out()).of("Deployment")) {
      String name = Rendering.name(d);
      Map<String, Object> container = Rendering.container(d);
      Dockerfile image = Dockerfile.ofImage(ROOT, String.valueOf(container.get("image")));
      assertEquals(
          String.valueOf(image.gid()),
          String.valueOf(map(Rendering.pod(d).get("securityContext")).get("fsGroup")),
          name + ": fsGroup is the group of " + image.path() + "'s user");
      if (String.valueOf(container.get("volumeMounts")).contains("mountPath=/artifacts")) {
        assertTrue(
            image.makesForItsUser("/artifacts"), image.path() + " makes /artifacts for its user");
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomizations")
  void everyObjectIsValidAndHasWhatTheSuiteNeeds(Path kustomization) throws Exception {
    Output rendered = run(null, "kubectl", "kustomize", kustomization.toString());
    assertEquals(0, rendered.exitCode(), rendered.out());
    Output checked = validate(withoutMonitors(rendered.out()));
    List<Map<String, Object>> objects = new ArrayList<>();
    for (Object o : new Yaml().loadAll(rendered.out())) {
      objects.add(map(o));
    }
    Rendering r = new Rendering(objects);
    long monitors = monitorsAreWellFormed(r);
    assertEquals(0, checked.exitCode(), checked.out());
    assertEquals(
        objects.size() - monitors,
        checked.out().lines().filter(l -> l.endsWith(": valid")).count());

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
    everyScaledMetricIsScraped(r);
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

    static Object namespace(Map<String, Object> object) {
      return map(object.get("metadata")).get("namespace");
    }

    static Map<String, Object> labels(Map<String, Object> object) {
      return map(map(object.get("metadata")).get("labels"));
    }

    static Map<String, Object> podLabels(Map<String, Object> deployment) {
      return labels(map(map(deployment.get("spec")).get("template")));
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
          defaultJob(worker.getValue(), model).memory(model) <= admitted,
          setting + " refuses the default " + pool + " job of the preset " + preset);
    }
  }

  /** A job of {@code type} with every default, on {@code model} (which a training job is). */
  private static JobSpec defaultJob(JobType type, TrainSpec model) throws IOException {
    return type == JobType.TRAIN ? model : Json.mapper().readValue("{}", type.specClass());
  }

  /**
   * Where the workers scale (KEDA), each pool has one ScaledObject, on its own deployment and on
   * its own type's open jobs, one replica per job. The largest count over the gateways, not their
   * sum: each gateway reads the same count from the shared database.
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
          "max(bd3_jobs_open{type=\"" + type.json() + "\"})",
          metadata.get("query"),
          target + " scales on its own queue");
      assertEquals("1", metadata.get("threshold"), target + ": one replica per open job");
    }
  }

  /**
   * Every metric a ScaledObject's Prometheus query reads is scraped from the pods that serve it: a
   * shipped PodMonitor selects those pods (or a ServiceMonitor a Service that does), on a port
   * their container names, at the path the service serves its metrics on. The Prometheus Operator
   * scrapes nothing else, so without one KEDA reads no value and a pool at zero stays there.
   */
  private static void everyScaledMetricIsScraped(Rendering r) throws IOException {
    for (Map<String, Object> o : r.of("ScaledObject")) {
      for (Object t : list(map(o.get("spec")).get("triggers"))) {
        Map<String, Object> trigger = map(t);
        if (!"prometheus".equals(trigger.get("type"))) {
          continue;
        }
        String query = String.valueOf(map(trigger.get("metadata")).get("query"));
        Set<String> metrics = metricNames(query);
        assertFalse(metrics.isEmpty(), Rendering.name(o) + ": no metric in " + query);
        for (String metric : metrics) {
          String source = METRIC_SOURCES.get(metric);
          assertNotNull(source, Rendering.name(o) + ": no service is known to serve " + metric);
          String path = metricsPath(source + "-service");
          assertTrue(
              scrapes(r, r.named("Deployment", source), path),
              Rendering.name(o)
                  + " scales on "
                  + metric
                  + ", but no PodMonitor or ServiceMonitor scrapes the "
                  + source
                  + " pods on a port they name at "
                  + path);
        }
      }
    }
  }

  /** The metric names a PromQL query reads: its identifiers less label sets, strings, functions. */
  private static Set<String> metricNames(String query) {
    String q =
        query
            .replaceAll("\"(\\\\.|[^\"\\\\])*\"|'(\\\\.|[^'\\\\])*'", "\"\"")
            .replaceAll("\\{[^}]*\\}", " ")
            .replaceAll("\\[[^\\]]*\\]", " ")
            .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
    Set<String> names = new TreeSet<>();
    // possessive, so that a function's name is not matched short of its parenthesis
    Matcher m = Pattern.compile("(?<![\\w:.])[a-zA-Z_:][\\w:]*+(?!\\s*\\()").matcher(q);
    while (m.find()) {
      if (!PROMQL_WORDS.contains(m.group().toLowerCase(Locale.ROOT))) {
        names.add(m.group());
      }
    }
    return names;
  }

  /**
   * The path a Quarkus service serves its Prometheus metrics on, from its application.properties:
   * the prometheus path (metrics) under the non-application root (q) under the HTTP root (/), an
   * absolute one from the server's root; a ${VARIABLE:default} read as its default.
   */
  private static String metricsPath(String module) throws IOException {
    Properties properties = new Properties();
    try (Reader in =
        Files.newBufferedReader(
            ROOT.resolve(module).resolve("src/main/resources/application.properties"))) {
      properties.load(in);
    }
    assertFalse(
        Boolean.parseBoolean(setting(properties, "quarkus.management.enabled", "false")),
        module + ": metrics on the management port, which the monitors do not scrape");
    URI root =
        URI.create("/").resolve(directory(setting(properties, "quarkus.http.root-path", "/")));
    URI nonApplication =
        root.resolve(directory(setting(properties, "quarkus.http.non-application-root-path", "q")));
    return nonApplication
        .resolve(setting(properties, "quarkus.micrometer.export.prometheus.path", "metrics"))
        .getPath();
  }

  private static String setting(Properties properties, String key, String fallback) {
    String value = properties.getProperty(key, fallback).trim();
    Matcher variable = Pattern.compile("^\\$\\{[^:}]+:([^}]*)\\}$").matcher(value);
    return variable.matches() ? variable.group(1) : value;
  }

  private static String directory(String path) {
    return path.endsWith("/") ? path : path + "/";
  }

  /**
   * Whether a shipped monitor scrapes the deployment's pods at that path: a PodMonitor selecting
   * them directly, or a ServiceMonitor selecting a Service that selects them, on a port that
   * reaches a port the pods' containers declare.
   */
  private static boolean scrapes(Rendering r, Map<String, Object> deployment, String path) {
    Map<String, Object> podLabels = Rendering.podLabels(deployment);
    List<Map<String, Object>> ports =
        list(Rendering.pod(deployment).get("containers")).stream()
            .flatMap(c -> list(map(c).get("ports")).stream())
            .map(KubernetesManifestsTest::map)
            .toList();
    Object namespace = Rendering.namespace(deployment);
    for (Map<String, Object> monitor : r.of("PodMonitor")) {
      Map<String, Object> spec = map(monitor.get("spec"));
      if (watches(monitor, namespace) && selects(map(spec.get("selector")), podLabels)) {
        for (Object e : list(spec.get("podMetricsEndpoints"))) {
          Map<String, Object> endpoint = map(e);
          boolean named =
              ports.stream().anyMatch(p -> Objects.equals(p.get("name"), endpoint.get("port")));
          if (named && path.equals(endpointPath(endpoint))) {
            return true;
          }
        }
      }
    }
    for (Map<String, Object> monitor : r.of("ServiceMonitor")) {
      Map<String, Object> spec = map(monitor.get("spec"));
      for (Map<String, Object> service : r.of("Service")) {
        Map<String, Object> serviceSpec = map(service.get("spec"));
        Map<String, Object> serviceSelector = map(serviceSpec.get("selector"));
        if (!watches(monitor, Rendering.namespace(service))
            || !Objects.equals(namespace, Rendering.namespace(service))
            || !selects(map(spec.get("selector")), Rendering.labels(service))
            || serviceSelector.isEmpty()
            || !selects(Map.of("matchLabels", serviceSelector), podLabels)) {
          continue;
        }
        for (Object e : list(spec.get("endpoints"))) {
          Map<String, Object> endpoint = map(e);
          for (Object sp : list(serviceSpec.get("ports"))) {
            Map<String, Object> servicePort = map(sp);
            // a Service's targetPort names a container port or gives its number (its own if none)
            Object target = servicePort.getOrDefault("targetPort", servicePort.get("port"));
            boolean reaches =
                ports.stream()
                    .anyMatch(
                        p ->
                            String.valueOf(target)
                                .equals(
                                    String.valueOf(
                                        target instanceof String
                                            ? p.get("name")
                                            : p.get("containerPort"))));
            if (Objects.equals(servicePort.get("name"), endpoint.get("port"))
                && reaches
                && path.equals(endpointPath(endpoint))) {
              return true;
            }
          }
        }
      }
    }
    return false;
  }

  /** The path an endpoint scrapes: Prometheus's /metrics unless it names one. */
  private static String endpointPath(Map<String, Object> endpoint) {
    return String.valueOf(endpoint.getOrDefault("path", "/metrics"));
  }

  /** Whether a monitor looks into a namespace: its own, unless its namespaceSelector says. */
  private static boolean watches(Map<String, Object> monitor, Object namespace) {
    Map<String, Object> selector = map(map(monitor.get("spec")).get("namespaceSelector"));
    if (Boolean.TRUE.equals(selector.get("any"))) {
      return true;
    }
    if (selector.containsKey("matchNames")) {
      return list(selector.get("matchNames")).contains(namespace);
    }
    return Objects.equals(Rendering.namespace(monitor), namespace);
  }

  /** Whether a label selector (matchLabels and matchExpressions) selects these labels. */
  private static boolean selects(Map<String, Object> selector, Map<String, Object> labels) {
    for (Map.Entry<String, Object> label : map(selector.get("matchLabels")).entrySet()) {
      if (!labels.containsKey(label.getKey())
          || !String.valueOf(label.getValue()).equals(String.valueOf(labels.get(label.getKey())))) {
        return false;
      }
    }
    for (Object e : list(selector.get("matchExpressions"))) {
      Map<String, Object> expression = map(e);
      Object key = expression.get("key");
      boolean has = labels.containsKey(key);
      boolean in =
          has
              && list(expression.get("values")).stream()
                  .anyMatch(v -> String.valueOf(v).equals(String.valueOf(labels.get(key))));
      boolean holds =
          switch (String.valueOf(expression.get("operator"))) {
            case "In" -> in;
            case "NotIn" -> !in;
            case "Exists" -> has;
            case "DoesNotExist" -> !has;
            default -> throw new AssertionError("unknown selector operator in " + expression);
          };
      if (!holds) {
        return false;
      }
    }
    return true;
  }

  /**
   * The Prometheus Operator's objects, which the checker has no schema for, checked here for what a
   * scrape needs of them: a PodMonitor or ServiceMonitor of monitoring.coreos.com/v1, a label
   * selector, endpoints each on a named port, an absolute path and durations the CRD accepts.
   * Returns how many there are.
   */
  private static long monitorsAreWellFormed(Rendering r) {
    long count = 0;
    for (Map<String, Object> m : r.objects()) {
      if (!String.valueOf(m.get("apiVersion")).startsWith("monitoring.coreos.com/")) {
        continue;
      }
      count++;
      String name = m.get("kind") + " " + Rendering.name(m);
      assertEquals(MONITORING, m.get("apiVersion"), name + ": its apiVersion");
      String endpoints = MONITOR_ENDPOINTS.get(String.valueOf(m.get("kind")));
      assertNotNull(endpoints, name + ": a PodMonitor or ServiceMonitor");
      Map<String, Object> spec = map(m.get("spec"));
      assertTrue(spec.get("selector") instanceof Map, name + ": spec.selector, a label selector");
      assertTrue(
          Set.of("matchLabels", "matchExpressions").containsAll(map(spec.get("selector")).keySet()),
          name + ": spec.selector has matchLabels and matchExpressions only");
      assertFalse(list(spec.get(endpoints)).isEmpty(), name + ": spec." + endpoints);
      for (Object e : list(spec.get(endpoints))) {
        Map<String, Object> endpoint = map(e);
        assertTrue(endpoint.get("port") instanceof String, name + ": a named port in " + endpoint);
        Object path = endpoint.getOrDefault("path", "/metrics");
        assertTrue(
            path instanceof String p && p.startsWith("/"), name + ": an absolute path " + path);
        for (String duration : List.of("interval", "scrapeTimeout")) {
          if (endpoint.containsKey(duration)) {
            assertTrue(
                DURATION.matcher(String.valueOf(endpoint.get(duration))).matches(),
                name + ": " + duration + " must match the CRD's duration pattern");
          }
        }
      }
    }
    return count;
  }

  /** The rendering less the Prometheus Operator's objects, which the checker has no schema for. */
  private static String withoutMonitors(String yaml) {
    return Arrays.stream(yaml.split("(?m)^---[ \\t]*\\R?"))
        .filter(document -> !MONITORING_DOCUMENT.matcher(document).find())
        .collect(Collectors.joining("---\n"));
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
          r.config().get("BD3_DB_URL"),
          "the gateway connects to the operator's read-write service");
      secret = name + "-app";
    }
    for (String variable : List.of("BD3_DB_USER", "BD3_DB_PASSWORD")) {
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

  /** overlays/operators rendered: Strimzi's Kafka and KafkaUsers, CloudNativePG's cluster. */
  private static Rendering operators() throws Exception {
    Output rendered =
        run(null, "kubectl", "kustomize", K8S.resolve("overlays/operators").toString());
    assertEquals(0, rendered.exitCode(), rendered.out());
    return rendering(rendered.out());
  }

  /**
   * Strimzi's Kafka lets no client in unauthenticated and no client do more than its ACLs allow:
   * every listener asks for SCRAM-SHA-512 over TLS, authorization is simple (ACLs), and the
   * services bootstrap on such a listener. An open listener would let any pod enqueue jobs past the
   * gateway's keys and quotas.
   */
  @Test
  void theOperatorsKafkaAuthenticatesAndAuthorizesEveryClient() throws Exception {
    Rendering r = operators();
    Map<String, Object> kafka = map(map(r.of("Kafka").get(0).get("spec")).get("kafka"));
    List<Object> listeners = list(kafka.get("listeners"));
    assertFalse(listeners.isEmpty(), "a listener");
    for (Object l : listeners) {
      Map<String, Object> listener = map(l);
      assertEquals(
          "scram-sha-512",
          map(listener.get("authentication")).get("type"),
          listener.get("name") + ": SCRAM-SHA-512");
      assertEquals(true, listener.get("tls"), listener.get("name") + ": TLS");
    }
    assertEquals("simple", map(kafka.get("authorization")).get("type"), "simple authorization");
    assertTrue(
        map(map(r.of("Kafka").get(0).get("spec")).get("entityOperator"))
            .containsKey("userOperator"),
        "a User Operator, which makes the KafkaUsers' credentials and ACLs");
    String bootstrap = String.valueOf(r.config().get("KAFKA_BOOTSTRAP_SERVERS"));
    String port = bootstrap.substring(bootstrap.lastIndexOf(':') + 1);
    assertTrue(
        listeners.stream().anyMatch(l -> port.equals(String.valueOf(map(l).get("port")))),
        bootstrap + " is a listener's port");
  }

  /**
   * Every service pod logs in to Kafka as a KafkaUser of its own: SASL over TLS with SCRAM-SHA-512,
   * the JAAS line from that user's Secret (the User Operator writes it), the cluster CA from
   * Strimzi's Secret. No two services share a user: a worker with the gateway's could enqueue jobs.
   */
  @Test
  void everyServiceLogsInToKafkaAsItsOwnUser() throws Exception {
    Rendering r = operators();
    String cluster = Rendering.name(r.of("Kafka").get(0));
    Set<String> users = new TreeSet<>();
    for (Map<String, Object> d : r.of("Deployment")) {
      String name = Rendering.name(d);
      Map<String, Object> env = env(Rendering.container(d));
      Map<String, Object> settings = new LinkedHashMap<>(r.config());
      settings.putAll(env); // a pod's own env wins over bd3-config
      assertEquals("SASL_SSL", settings.get("KAFKA_SECURITY_PROTOCOL"), name + ": SASL over TLS");
      assertEquals("SCRAM-SHA-512", settings.get("KAFKA_SASL_MECHANISM"), name + ": its mechanism");
      assertEquals("PEM", settings.get("KAFKA_SSL_TRUSTSTORE_TYPE"), name + ": a PEM trust store");
      Map<String, Object> ca =
          map(map(env.get("KAFKA_SSL_TRUSTSTORE_CERTIFICATES")).get("secretKeyRef"));
      assertEquals(cluster + "-cluster-ca-cert", ca.get("name"), name + ": the cluster CA");
      assertEquals("ca.crt", ca.get("key"), name + ": the cluster CA's certificate");
      String user = kafkaUserOf(d);
      Map<String, Object> kafkaUser = r.named("KafkaUser", user);
      assertEquals(
          cluster,
          Rendering.labels(kafkaUser).get("strimzi.io/cluster"),
          user + ": a user of " + cluster);
      assertEquals(
          "scram-sha-512",
          map(map(kafkaUser.get("spec")).get("authentication")).get("type"),
          user + ": a SCRAM-SHA-512 password");
      assertTrue(users.add(user), name + " shares the KafkaUser " + user);
    }
    assertEquals(1 + WORKERS.size(), users.size(), "the gateway and every worker: " + users);
  }

  /**
   * Each service's KafkaUser allows exactly what that service does, under dev.bd3.jobs.Topics'
   * names and the group ids of its configuration: only the gateway writes the job queues and the
   * control topic, each worker reads its own type's queue and no other; every rule an allow on one
   * named resource (or a name's prefix, for the groups of one instance each), and no KafkaUser
   * unused.
   */
  @Test
  void eachKafkaUserMayDoExactlyWhatItsServiceDoes() throws Exception {
    Rendering r = operators();
    Topics topics = Topics.DEFAULT;
    Set<String> checked = new TreeSet<>();
    for (Map<String, Object> d : r.of("Deployment")) {
      String service = Rendering.name(d);
      String user = kafkaUserOf(d);
      Set<String> acls = acls(r.named("KafkaUser", user));
      JobType own = WORKERS.get(service);
      assertEquals(
          own == null ? gatewayNeeds(topics) : workerNeeds(topics, own),
          acls,
          service + ": what " + user + " may do");
      for (JobType type : JobType.values()) {
        String queue = "topic/literal/" + topics.jobs(type) + ": ";
        boolean writes = acls.stream().anyMatch(a -> a.startsWith(queue) && a.contains("Write"));
        boolean reads = acls.stream().anyMatch(a -> a.startsWith(queue) && a.contains("Read"));
        assertEquals(
            own == null, writes, service + (writes ? " writes " : " cannot write ") + queue);
        assertEquals(type == own, reads, service + (reads ? " reads " : " cannot read ") + queue);
      }
      boolean control =
          acls.stream()
              .anyMatch(
                  a ->
                      a.startsWith("topic/literal/" + topics.control() + ": ")
                          && a.contains("Write"));
      assertEquals(own == null, control, service + ": only the gateway writes the control topic");
      checked.add(user);
    }
    assertEquals(
        r.of("KafkaUser").stream()
            .map(Rendering::name)
            .collect(Collectors.toCollection(TreeSet::new)),
        checked,
        "every KafkaUser is a service's");
  }

  /**
   * Where CloudNativePG makes the database users, Grafana's login is a role of its own in
   * bd3_reader (which migration V10 grants SELECT on the run history only), never the gateway's
   * user, the schema's owner: Grafana's query API would let a viewer DELETE or DROP as that one.
   * bd3_reader exists from the bootstrap on, before the gateway can migrate; no managed role may do
   * more than log in.
   */
  @Test
  void grafanasDatabaseLoginIsNotTheGatewaysUser() throws Exception {
    Rendering r = operators();
    Map<String, Object> cluster = r.of("Cluster").get(0);
    Map<String, Object> spec = map(cluster.get("spec"));
    Map<String, Object> initdb = map(map(spec.get("bootstrap")).get("initdb"));
    Object owner = initdb.get("owner");
    Map<String, Map<String, Object>> roles = new LinkedHashMap<>();
    for (Object role : list(map(spec.get("managed")).get("roles"))) {
      roles.put(String.valueOf(map(role).get("name")), map(role));
    }
    assertTrue(
        list(initdb.get("postInitSQL")).stream()
            .anyMatch(
                s -> String.valueOf(s).trim().equalsIgnoreCase("CREATE ROLE bd3_reader NOLOGIN")),
        "bd3_reader is made at bootstrap, before the gateway migrates");
    Map<String, Object> reader = roles.get("bd3_reader");
    assertNotNull(reader, "bd3_reader is a managed role");
    assertEquals(false, reader.get("login"), "bd3_reader logs in as no one");
    Map<String, Object> grafana = roles.get("bd3_grafana");
    assertNotNull(grafana, "Grafana's login is a managed role");
    assertFalse(Objects.equals(owner, grafana.get("name")), "Grafana's login is not the owner");
    assertEquals(true, grafana.get("login"), "bd3_grafana logs in");
    assertEquals(
        List.of("bd3_reader"), grafana.get("inRoles"), "bd3_grafana is in bd3_reader only");
    String appSecret = Rendering.name(cluster) + "-app";
    Object password = map(grafana.get("passwordSecret")).get("name");
    assertNotNull(password, "bd3_grafana's password from a Secret");
    assertFalse(appSecret.equals(password), "not the gateway's Secret");
    for (Map.Entry<String, Map<String, Object>> role : roles.entrySet()) {
      for (String power :
          List.of("superuser", "createdb", "createrole", "replication", "bypassrls")) {
        assertFalse(
            Boolean.TRUE.equals(role.getValue().get(power)), role.getKey() + " may " + power);
      }
    }
    Map<String, Object> gatewayUser =
        map(
            map(env(Rendering.container(r.named("Deployment", "gateway"))).get("BD3_DB_USER"))
                .get("secretKeyRef"));
    assertEquals(appSecret, gatewayUser.get("name"), "the gateway logs in as the owner");
  }

  /** The KafkaUser whose Secret gives a deployment's pods their JAAS line. */
  private static String kafkaUserOf(Map<String, Object> deployment) {
    Map<String, Object> jaas =
        map(
            map(env(Rendering.container(deployment)).get("KAFKA_SASL_JAAS_CONFIG"))
                .get("secretKeyRef"));
    assertEquals(
        "sasl.jaas.config",
        jaas.get("key"),
        Rendering.name(deployment) + ": KAFKA_SASL_JAAS_CONFIG from a KafkaUser's Secret");
    return String.valueOf(jaas.get("name"));
  }

  /** A KafkaUser's ACLs, one line each: type/patternType/name: its operations, sorted. */
  private static Set<String> acls(Map<String, Object> kafkaUser) {
    String user = Rendering.name(kafkaUser);
    Map<String, Object> authorization = map(map(kafkaUser.get("spec")).get("authorization"));
    assertEquals("simple", authorization.get("type"), user + ": simple authorization");
    Set<String> acls = new TreeSet<>();
    for (Object a : list(authorization.get("acls"))) {
      Map<String, Object> acl = map(a);
      assertEquals("allow", acl.getOrDefault("type", "allow"), user + ": " + acl);
      assertEquals("*", acl.getOrDefault("host", "*"), user + ": " + acl);
      Map<String, Object> resource = map(acl.get("resource"));
      String operations =
          list(acl.get("operations")).stream()
              .map(String::valueOf)
              .sorted()
              .collect(Collectors.joining(","));
      String line =
          resource.get("type")
              + "/"
              + resource.getOrDefault("patternType", "literal")
              + "/"
              + resource.get("name")
              + ": "
              + operations;
      assertTrue(acls.add(line), user + ": " + line + " twice");
    }
    return acls;
  }

  /**
   * The gateway: publishes jobs and control records and its own end-of-run events (the outbox),
   * reads the events in its group and each instance's live-events group, reads, replays and writes
   * the dead letters, creates the topics, sets the queues' rules and reads where each starts.
   */
  private static Set<String> gatewayNeeds(Topics topics) throws IOException {
    Properties gateway = properties("gateway-service/src/main/resources/application.properties");
    Set<String> needs = new TreeSet<>();
    for (JobType type : JobType.values()) {
      needs.add("topic/literal/" + topics.jobs(type) + ": Create,Describe,Write");
      needs.add("group/literal/" + topics.workers(type) + ": AlterConfigs,Describe");
    }
    needs.add("topic/literal/" + topics.control() + ": Create,Describe,Write");
    needs.add("topic/literal/" + topics.events() + ": Create,Describe,Read,Write");
    needs.add("topic/literal/" + topics.deadLetter() + ": Create,Describe,Read,Write");
    needs.add(group(gateway, "mp.messaging.incoming.job-events.group.id", topics) + ": Read");
    needs.add(group(gateway, "mp.messaging.incoming.live-events.group.id", topics) + ": Read");
    return needs;
  }

  /**
   * A worker: its type's queue in its share group (Create: it makes the topic if the gateway has
   * not yet), cancellations in a group of its own, events and dead letters written.
   */
  private static Set<String> workerNeeds(Topics topics, JobType type) throws IOException {
    Properties worker = properties("shared-worker/src/main/resources/bd3-worker.properties");
    return new TreeSet<>(
        Set.of(
            "topic/literal/" + topics.jobs(type) + ": Create,Describe,Read",
            "group/literal/" + topics.workers(type) + ": Read",
            "topic/literal/" + topics.control() + ": Describe,Read",
            group(worker, "mp.messaging.incoming.control.group.id", topics) + ": Read",
            "topic/literal/" + topics.events() + ": Describe,Write",
            "topic/literal/" + topics.deadLetter() + ": Describe,Write"));
  }

  /**
   * A consumer group id of a service's configuration as an ACL's resource: the topic prefix
   * resolved, a group of one instance (ending in ${quarkus.uuid}) as the prefix before it.
   */
  private static String group(Properties properties, String key, Topics topics) {
    String id = properties.getProperty(key);
    assertNotNull(id, key);
    id = id.replaceAll("\\$\\{bd3(\\.gateway)?\\.topic-prefix\\}", topics.prefix());
    String instance = "${quarkus.uuid}";
    if (id.endsWith(instance)) {
      return "group/prefix/" + id.substring(0, id.length() - instance.length());
    }
    assertFalse(id.contains("${"), key + ": a group id this test cannot resolve: " + id);
    return "group/literal/" + id;
  }

  private static Properties properties(String file) throws IOException {
    Properties properties = new Properties();
    try (Reader in = Files.newBufferedReader(ROOT.resolve(file))) {
      properties.load(in);
    }
    return properties;
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

  /** A rendering that would leave the scaled metric unscraped fails the scrape check. */
  @Test
  void theScrapeCheckRefusesWhatIsNotScraped() throws Exception {
    String gateway =
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: gateway, namespace: bd3}
        spec:
          template:
            metadata: {labels: {app.kubernetes.io/name: gateway}}
            spec: {containers: [{name: gateway, ports: [{name: http, containerPort: 8080}]}]}
        ---
        apiVersion: keda.sh/v1alpha1
        kind: ScaledObject
        metadata: {name: trainer, namespace: bd3}
        spec:
          triggers:
            - type: prometheus
              metadata: {query: 'max(bd3_jobs_open{type="train"})', threshold: "1"}
        ---
        """;
    String podMonitor =
        """
        apiVersion: monitoring.coreos.com/v1
        kind: PodMonitor
        metadata: {name: gateway-metrics, namespace: bd3}
        spec:
          selector: {matchLabels: {app.kubernetes.io/name: gateway}}
          podMetricsEndpoints: [{port: http, path: /q/metrics}]
        """;
    String serviceMonitor =
        """
        apiVersion: v1
        kind: Service
        metadata: {name: gateway, namespace: bd3, labels: {app.kubernetes.io/name: gateway}}
        spec:
          selector: {app.kubernetes.io/name: gateway}
          ports: [{name: web, port: 80, targetPort: http}]
        ---
        apiVersion: monitoring.coreos.com/v1
        kind: ServiceMonitor
        metadata: {name: gateway-metrics, namespace: bd3}
        spec:
          selector:
            matchExpressions: [{key: app.kubernetes.io/name, operator: In, values: [gateway]}]
          endpoints: [{port: web, path: /q/metrics}]
        """;
    String good = gateway + podMonitor;
    for (String scraped : List.of(good, gateway + serviceMonitor)) {
      assertEquals(1L, monitorsAreWellFormed(rendering(scraped)));
      everyScaledMetricIsScraped(rendering(scraped));
    }
    Map<String, String> wrong = new LinkedHashMap<>();
    wrong.put("no monitor", gateway);
    wrong.put(
        "other pods",
        good.replace(
            "{app.kubernetes.io/name: gateway}}\n  podMetrics",
            "{app.kubernetes.io/name: trainer}}\n  podMetrics"));
    wrong.put("a port the gateway does not name", good.replace("port: http,", "port: metrics,"));
    wrong.put("Prometheus's default path", good.replace(", path: /q/metrics", ""));
    wrong.put(
        "another namespace",
        good.replace("gateway-metrics, namespace: bd3", "gateway-metrics, namespace: monitoring"));
    wrong.put("a metric no service serves", good.replace("bd3_jobs_open", "bd3_jobs_waiting"));
    wrong.put(
        "a Service on a port the gateway does not name",
        gateway + serviceMonitor.replace("targetPort: http", "targetPort: 9090"));
    wrong.put(
        "a Service monitored by port number",
        gateway + serviceMonitor.replace("{port: web,", "{port: \"80\","));
    for (Map.Entry<String, String> w : wrong.entrySet()) {
      assertThrows(
          AssertionError.class,
          () -> everyScaledMetricIsScraped(rendering(w.getValue())),
          w.getKey());
    }
    assertThrows(
        AssertionError.class,
        () ->
            monitorsAreWellFormed(
                rendering(good.replace("/q/metrics}", "/q/metrics, interval: 15 seconds}"))),
        "an interval the CRD refuses");
    assertEquals(
        Set.of("bd3_jobs_open", "bd3_runs"),
        metricNames("max by (type) (bd3_jobs_open{type=\"train\"}) + sum(rate(bd3_runs[5m]))"));
  }

  private static Rendering rendering(String yaml) {
    List<Map<String, Object>> objects = new ArrayList<>();
    for (Object o : new Yaml().loadAll(yaml)) {
      if (o != null) {
        objects.add(map(o));
      }
    }
    return new Rendering(objects);
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
