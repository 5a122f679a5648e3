package dev.bd3.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
      Map.of("trainer", JobType.TRAIN, "sampler", JobType.SAMPLE, "eval", JobType.EVAL);

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
