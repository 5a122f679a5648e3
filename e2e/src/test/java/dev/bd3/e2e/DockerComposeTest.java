package dev.bd3.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.jobs.JobType;
import dev.bd3.testsupport.LocalStack;
import dev.bd3.testsupport.LocalSuite;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * No Docker engine runs here, so docker-compose.yml is checked for what can be checked offline: it
 * parses, every service it builds has its Dockerfile, the ports and variables it gives each service
 * are ones that service's configuration reads, Kafka keeps its log on its volume, and each way the
 * file documents to run it starts exactly one variant, CPU or GPU, of every worker.
 */
class DockerComposeTest {
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)[:}]");
  private static final Pattern MAPPED_ROW =
      Pattern.compile("(?m)^\\| `[^`]+` \\| `([A-Z][A-Z0-9_]*)` \\|");
  private static final List<String> WORKERS = JobType.workers();

  /** Each service's port variable: the gateway's, and each worker's in its CPU and GPU variant. */
  private static final Map<String, String> PORT_VARIABLE = portVariables();

  /**
   * The ways docker-compose.yml's header and docs/deployment.md document to start it, each by the
   * profile it names, and whether it runs the GPU variant of each worker (the worker's name
   * followed by -gpu).
   */
  private static final Map<String, Boolean> RUN_ON_GPU = Map.of("cpu", false, "gpu", true);

  /** A profile that adds services beside either variant, and the services it adds. */
  private static final String MONITORING = "monitoring";

  private static final Set<String> MONITORING_SERVICES =
      Set.of("prometheus", "grafana", "grafana-db-login");

  /** The override that puts Kafka behind SASL/SCRAM and ACLs (the plain file stays the tests'). */
  private static final String SASL_OVERRIDE = "docker-compose.sasl.yml";

  private final Path root = LocalStack.root();

  private static Map<String, String> portVariables() {
    Map<String, String> ports =
        new HashMap<>(Map.of("gateway", LocalSuite.portVariable("gateway")));
    for (String worker : WORKERS) {
      String variable = LocalSuite.portVariable(worker);
      ports.put(worker, variable);
      ports.put(worker + "-gpu", variable);
    }
    return ports;
  }

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
        String[] published = ports.get(0).split(":"); // host address : host port : container port
        assertEquals(port, published[published.length - 1], name + ": published port");
        assertEquals("127.0.0.1", published[0], name + " publishes " + ports + " beyond loopback");
      }
      if (dockerfile.getFileName().toString().endsWith(".jvm")) {
        assertTrue(
            Files.readString(dockerfile).contains("EXPOSE " + port),
            name + ": Dockerfile exposes " + port);
      }
      if (env.containsKey("KAFKA_BOOTSTRAP_SERVERS")) {
        assertEquals("kafka:9092", env.get("KAFKA_BOOTSTRAP_SERVERS"));
      }
      if (env.containsKey("BD3_DB_URL")) {
        assertTrue(
            String.valueOf(env.get("BD3_DB_URL")).startsWith("jdbc:postgresql://postgres:5432/"));
      }
    }
    Map<String, Object> kafkaEnv = (Map<String, Object>) services.get("kafka").get("environment");
    assertEquals("PLAINTEXT://kafka:9092", kafkaEnv.get("KAFKA_ADVERTISED_LISTENERS"));
  }

  @Test
  void kafkaKeepsItsLogOnItsVolume() throws IOException {
    Map<String, Object> kafka = services().get("kafka");
    Map<String, Object> env = map(kafka.get("environment"));
    assertNotNull(
        env.get("KAFKA_LOG_DIRS"),
        "kafka: no KAFKA_LOG_DIRS, so the broker writes to /tmp/kraft-combined-logs");
    List<Path> mounts = new ArrayList<>();
    for (Object volume : list(kafka.get("volumes"))) {
      String target = persistentTarget(volume);
      if (target != null) {
        mounts.add(Path.of(target).normalize());
      }
    }
    for (String key : List.of("KAFKA_LOG_DIRS", "KAFKA_METADATA_LOG_DIR")) {
      if (env.containsKey(key)) {
        for (String dir : String.valueOf(env.get(key)).split(",")) {
          Path path = Path.of(dir.trim()).normalize();
          assertTrue(
              path.isAbsolute() && mounts.stream().anyMatch(path::startsWith),
              "kafka: " + key + " " + path + " lies on none of its volumes " + mounts);
        }
      }
    }
  }

  /**
   * Every service built here that keeps /artifacts on a volume runs an image that makes that folder
   * for its user: a new named volume takes its owner from the image's folder, and would be root's
   * (unwritable to the service) without it.
   */
  @Test
  void everyImageMakesTheArtifactFolderItsServiceMounts() throws IOException {
    int checked = 0;
    for (Map.Entry<String, Map<String, Object>> service : services().entrySet()) {
      Map<String, Object> build = map(service.getValue().get("build"));
      boolean artifacts =
          list(service.getValue().get("volumes")).stream()
              .anyMatch(v -> "/artifacts".equals(persistentTarget(v)));
      if (build.isEmpty() || !artifacts) {
        continue;
      }
      Dockerfile image =
          Dockerfile.read(
              root.resolve(String.valueOf(build.get("context")))
                  .resolve(String.valueOf(build.get("dockerfile")))
                  .normalize());
      assertTrue(
          image.makesForItsUser("/artifacts"),
          service.getKey() + ": " + image.path() + " does not make /artifacts for its user");
      checked++;
    }
    assertTrue(checked >= 1 + 2 * WORKERS.size(), "the gateway and every worker mount /artifacts");
  }

  @Test
  void oneProfileStartsEitherTheCpuOrTheGpuWorkers() throws IOException {
    Map<String, Map<String, Object>> services = services();
    for (String type : WORKERS) {
      Map<String, Object> cpu = services.get(type);
      Map<String, Object> gpu = services.get(type + "-gpu");
      assertNotNull(cpu, type);
      assertNotNull(gpu, type + "-gpu");
      Map<String, Object> build = map(gpu.get("build"));
      assertEquals(
          root.resolve("deploy/docker/Dockerfile.gpu").normalize(),
          root.resolve(String.valueOf(build.get("context")))
              .resolve(String.valueOf(build.get("dockerfile")))
              .normalize(),
          type + "-gpu: Dockerfile");
      assertEquals(type, buildArgs(build).get("SERVICE"), type + "-gpu: build arg SERVICE");
      // the same settings, hence the same topic and consumer group
      assertEquals(
          map(cpu.get("environment")),
          map(gpu.get("environment")),
          type + "-gpu: environment differs from " + type + "'s");
      assertTrue(reservesOneNvidiaGpu(gpu), type + "-gpu: reserves no NVIDIA GPU");
      assertFalse(reservesOneNvidiaGpu(cpu), type + ": reserves a GPU");
      // a service without profiles always starts, and one profile of both would start both
      Set<String> cpuProfiles = profiles(cpu);
      Set<String> gpuProfiles = profiles(gpu);
      assertFalse(cpuProfiles.isEmpty(), type + ": no profile, so it always starts");
      assertFalse(gpuProfiles.isEmpty(), type + "-gpu: no profile, so it always starts");
      assertTrue(
          Collections.disjoint(cpuProfiles, gpuProfiles),
          type + " and " + type + "-gpu share a profile");
    }

    String header = Files.readString(root.resolve("docker-compose.yml"));
    String readme = Files.readString(root.resolve("docs/deployment.md"));
    for (Map.Entry<String, Boolean> run : RUN_ON_GPU.entrySet()) {
      String command = "docker compose --profile " + run.getKey() + " up";
      assertTrue(header.contains(command), "docker-compose.yml does not document " + command);
      assertTrue(readme.contains(command), "docs/deployment.md does not document " + command);

      Set<String> started = new TreeSet<>();
      services.forEach(
          (name, service) -> {
            if (starts(service, Set.of(run.getKey()))) {
              started.add(name);
            }
          });
      Set<String> variants = new HashSet<>();
      for (String type : WORKERS) {
        String expected = run.getValue() ? type + "-gpu" : type;
        String other = run.getValue() ? type : type + "-gpu";
        assertTrue(started.contains(expected), command + " does not start " + expected);
        assertFalse(started.contains(other), command + " starts " + other + " beside " + expected);
        variants.addAll(List.of(type, type + "-gpu"));
      }
      for (String name : services.keySet()) {
        if (!variants.contains(name) && !profiles(services.get(name)).equals(Set.of(MONITORING))) {
          assertTrue(started.contains(name), command + " does not start " + name);
        }
      }
      for (String name : started) {
        for (String dependency : dependencies(services.get(name))) {
          assertTrue(
              started.contains(dependency),
              command + " starts " + name + " but not " + dependency + ", which it needs");
        }
      }
    }
  }

  /**
   * The monitoring profile starts Prometheus, scraping every service on its port, and Grafana with
   * the dashboard and both of its data sources already there, from files that exist; both on
   * loopback only.
   */
  @Test
  @SuppressWarnings("unchecked")
  void theMonitoringProfileStartsPrometheusAndGrafanaWithTheDashboard() throws IOException {
    Map<String, Map<String, Object>> services = services();
    Set<String> started = new TreeSet<>();
    services.forEach(
        (name, service) -> {
          if (profiles(service).equals(Set.of(MONITORING))) {
            started.add(name);
          }
        });
    assertEquals(MONITORING_SERVICES, started, "what the monitoring profile adds");
    String header = Files.readString(root.resolve("docker-compose.yml"));
    assertTrue(header.contains("--profile " + MONITORING + " up"), "the header documents it");

    Map<String, String> mounts = new HashMap<>(); // container path -> file here
    for (String name : MONITORING_SERVICES) {
      for (Object port : list(services.get(name).get("ports"))) {
        assertTrue(
            String.valueOf(port).startsWith("127.0.0.1:"),
            name + " publishes " + port + " beyond loopback");
      }
      for (Object volume : list(services.get(name).get("volumes"))) {
        String[] parts = String.valueOf(volume).split(":");
        Path file = root.resolve(parts[0]).normalize();
        assertTrue(Files.exists(file), name + " mounts " + file + ", which does not exist");
        mounts.put(parts[1], parts[0]);
      }
    }

    Map<String, Object> prometheus =
        new Yaml()
            .load(Files.readString(root.resolve(mounts.get("/etc/prometheus/prometheus.yml"))));
    String scraped = String.valueOf(prometheus.get("scrape_configs"));
    assertTrue(scraped.contains("/q/metrics"), scraped);
    for (Map.Entry<String, String> service : PORT_VARIABLE.entrySet()) {
      Object port = map(services.get(service.getKey()).get("environment")).get(service.getValue());
      assertTrue(
          scraped.contains(service.getKey() + ":" + port),
          "Prometheus does not scrape " + service.getKey() + ":" + port);
    }

    Path provisioning = root.resolve(mounts.get("/etc/grafana/provisioning"));
    Map<String, Object> providers =
        new Yaml().load(Files.readString(provisioning.resolve("dashboards/bd3.yml")));
    String dashboards =
        String.valueOf(
            map(map(list(providers.get("providers")).get(0)).get("options")).get("path"));
    String dashboardFile = mounts.get(dashboards + "/bd3-dashboard.json");
    assertNotNull(dashboardFile, "no dashboard mounted where the provider reads, " + dashboards);
    Map<String, Object> datasources =
        new Yaml().load(Files.readString(provisioning.resolve("datasources/bd3.yml")));
    Set<String> types = new TreeSet<>();
    list(datasources.get("datasources"))
        .forEach(d -> types.add(String.valueOf(map(d).get("type"))));
    Map<String, Object> dashboard = new Yaml().load(Files.readString(root.resolve(dashboardFile)));
    for (Object variable : list(map(dashboard.get("templating")).get("list"))) {
      String type = String.valueOf(map(variable).get("query"));
      assertTrue(types.contains(type), "the dashboard needs a " + type + " data source: " + types);
    }
  }

  /**
   * Grafana's PostgreSQL data source reads as a login of its own, which reader-login.sql puts in
   * bd3_reader (SELECT on the run history only, migration V10), never as the gateway's user, the
   * schema's owner: Grafana's query API would let any viewer DELETE or DROP as that one. Nor does
   * Grafana get the owner's password; its login exists before it starts.
   */
  @Test
  void grafanaReadsTheRunHistoryAsAReadOnlyLogin() throws IOException {
    Map<String, Map<String, Object>> services = services();
    Map<String, Object> gatewayEnv = map(services.get("gateway").get("environment"));
    Map<String, Object> datasources =
        new Yaml()
            .load(
                Files.readString(root.resolve("deploy/grafana/provisioning/datasources/bd3.yml")));
    Map<String, Object> postgres =
        list(datasources.get("datasources")).stream()
            .map(DockerComposeTest::map)
            .filter(d -> String.valueOf(d.get("type")).contains("postgres"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no PostgreSQL data source"));
    String user = String.valueOf(postgres.get("user"));
    assertFalse(user.equals(gatewayEnv.get("BD3_DB_USER")), "Grafana reads as the gateway's user");
    String password = String.valueOf(map(postgres.get("secureJsonData")).get("password"));
    String gatewayPassword = String.valueOf(gatewayEnv.get("BD3_DB_PASSWORD"));
    Matcher owner = VARIABLE.matcher(gatewayPassword);
    assertTrue(owner.find(), "the gateway's password comes from " + gatewayPassword);
    assertFalse(password.contains(owner.group(1)), "Grafana signs in with the owner's password");

    Map<String, Object> grafana = services.get("grafana");
    assertFalse(
        map(grafana.get("environment")).containsKey(owner.group(1)),
        "Grafana holds the owner's password");
    assertTrue(
        map(grafana.get("environment")).containsKey(password.replaceAll("[${}]", "")),
        "Grafana gets its login's password, " + password);
    Map<String, Object> login = map(map(grafana.get("depends_on")).get("grafana-db-login"));
    assertEquals(
        "service_completed_successfully",
        login.get("condition"),
        "Grafana starts once its login is made");
    String sql = null;
    for (Object volume : list(services.get("grafana-db-login").get("volumes"))) {
      String source = String.valueOf(volume).split(":")[0];
      if (source.endsWith(".sql")) {
        sql = Files.readString(root.resolve(source));
      }
    }
    assertNotNull(sql, "grafana-db-login runs a SQL file");
    assertTrue(sql.contains("GRANT bd3_reader TO " + user), "the login is in bd3_reader");
    assertTrue(
        sql.contains("ALTER ROLE " + user + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"),
        "the login may do no more than log in");
  }

  /**
   * docker-compose.sasl.yml: the broker takes clients on SASL (SCRAM-SHA-512) only, with ACLs
   * (nothing is allowed without one), and keeps its unauthenticated listeners on its own loopback;
   * every service that talks to Kafka logs in as a user of its own (a GPU worker as its CPU twin),
   * which kafka-users.sh creates before the service starts.
   */
  @Test
  void theSaslOverrideGivesEveryKafkaClientAUserOfItsOwn() throws IOException {
    Map<String, Map<String, Object>> base = services();
    Map<String, Object> override;
    try (Reader r = Files.newBufferedReader(root.resolve(SASL_OVERRIDE))) {
      override = new Yaml().load(r);
    }
    Map<String, Object> services = map(override.get("services"));
    Map<String, Object> kafka = map(map(services.get("kafka")).get("environment"));
    Map<String, String> protocols = new HashMap<>();
    for (String entry :
        String.valueOf(kafka.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP")).split(",")) {
      String[] nameAndProtocol = entry.split(":");
      protocols.put(nameAndProtocol[0], nameAndProtocol[1]);
    }
    for (String setting : List.of("KAFKA_LISTENERS", "KAFKA_ADVERTISED_LISTENERS")) {
      for (String listener : String.valueOf(kafka.get(setting)).split(",")) {
        String name = listener.substring(0, listener.indexOf("://"));
        boolean sasl = String.valueOf(protocols.get(name)).startsWith("SASL_");
        assertTrue(
            sasl || listener.contains("://127.0.0.1:"),
            setting + ": " + listener + " takes clients without SASL beyond the broker's loopback");
      }
    }
    assertEquals("SCRAM-SHA-512", kafka.get("KAFKA_SASL_ENABLED_MECHANISMS"));
    assertNotNull(kafka.get("KAFKA_AUTHORIZER_CLASS_NAME"), "an authorizer");
    assertEquals("false", String.valueOf(kafka.get("KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND")));

    String setup = Files.readString(root.resolve("deploy/docker/kafka-users.sh"));
    Map<String, String> users = new HashMap<>(); // service without -gpu -> its user
    Pattern username = Pattern.compile("username=\"([^\"]+)\"");
    for (Map.Entry<String, Map<String, Object>> service : base.entrySet()) {
      if (!map(service.getValue().get("environment")).containsKey("KAFKA_BOOTSTRAP_SERVERS")) {
        continue;
      }
      String name = service.getKey();
      Map<String, Object> sasl = map(services.get(name));
      Map<String, Object> env = map(sasl.get("environment"));
      assertEquals("SASL_PLAINTEXT", env.get("KAFKA_SECURITY_PROTOCOL"), name);
      assertEquals("SCRAM-SHA-512", env.get("KAFKA_SASL_MECHANISM"), name);
      Matcher m = username.matcher(String.valueOf(env.get("KAFKA_SASL_JAAS_CONFIG")));
      assertTrue(m.find(), name + ": a JAAS line with its user");
      String user = m.group(1);
      assertTrue(setup.contains("user " + user + " "), "kafka-users.sh creates " + user);
      String previous = users.putIfAbsent(name.replace("-gpu", ""), user);
      assertTrue(previous == null || previous.equals(user), name + " logs in as its twin does");
      assertEquals(
          "service_completed_successfully",
          map(map(sasl.get("depends_on")).get("kafka-users")).get("condition"),
          name + " starts once its user exists");
    }
    assertEquals(1 + WORKERS.size(), users.size(), "the gateway and every worker: " + users);
    assertEquals(users.size(), new HashSet<>(users.values()).size(), "a user each: " + users);
    String header = Files.readString(root.resolve(SASL_OVERRIDE));
    String readme = Files.readString(root.resolve("docs/deployment.md"));
    String command = "docker compose -f docker-compose.yml -f " + SASL_OVERRIDE;
    assertTrue(header.contains(command), SASL_OVERRIDE + " documents " + command);
    assertTrue(readme.contains(command), "docs/deployment.md documents " + command);
  }

  /** Whether Compose starts the service under these profiles. */
  private static boolean starts(Map<String, Object> service, Set<String> active) {
    Set<String> profiles = profiles(service);
    boolean enabled = profiles.isEmpty() || !Collections.disjoint(profiles, active);
    Object replicas = map(service.get("deploy")).get("replicas");
    return enabled && !"0".equals(String.valueOf(replicas));
  }

  private static Set<String> profiles(Map<String, Object> service) {
    Set<String> profiles = new LinkedHashSet<>();
    for (Object p : list(service.get("profiles"))) {
      profiles.add(String.valueOf(p));
    }
    return profiles;
  }

  private static Set<String> dependencies(Map<String, Object> service) {
    Object dependsOn = service.get("depends_on");
    Set<String> names = new HashSet<>();
    if (dependsOn instanceof Map<?, ?> m) {
      m.keySet().forEach(k -> names.add(String.valueOf(k)));
    } else {
      list(dependsOn).forEach(d -> names.add(String.valueOf(d)));
    }
    return names;
  }

  private static boolean reservesOneNvidiaGpu(Map<String, Object> service) {
    Map<String, Object> deploy = map(service.get("deploy"));
    Map<String, Object> reservations = map(map(deploy.get("resources")).get("reservations"));
    for (Object d : list(reservations.get("devices"))) {
      Map<String, Object> device = map(d);
      if ("nvidia".equals(device.get("driver"))
          && list(device.get("capabilities")).contains("gpu")
          && "1".equals(String.valueOf(device.get("count")))) {
        return true;
      }
    }
    return false;
  }

  /** Build arguments, given as a map or as a list of NAME=value. */
  private static Map<String, Object> buildArgs(Map<String, Object> build) {
    Object args = build.get("args");
    if (args instanceof List<?> l) {
      Map<String, Object> m = new HashMap<>();
      for (Object a : l) {
        String[] kv = String.valueOf(a).split("=", 2);
        m.put(kv[0], kv.length > 1 ? kv[1] : null);
      }
      return m;
    }
    return map(args);
  }

  /**
   * Where a volume entry (short or long syntax) is mounted, or null if it keeps nothing past the
   * container: an anonymous volume or a tmpfs.
   */
  private static String persistentTarget(Object volume) {
    if (volume instanceof Map<?, ?> m) {
      boolean kept = m.get("source") != null && !"tmpfs".equals(m.get("type"));
      return kept ? String.valueOf(m.get("target")) : null;
    }
    String[] parts = String.valueOf(volume).split(":");
    return parts.length >= 2 ? parts[1] : null;
  }

  @SuppressWarnings("unchecked")
  private Map<String, Map<String, Object>> services() throws IOException {
    try (Reader r = Files.newBufferedReader(root.resolve("docker-compose.yml"))) {
      Map<String, Object> compose = new Yaml().load(r);
      return (Map<String, Map<String, Object>>) compose.get("services");
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o == null ? Map.of() : (Map<String, Object>) o;
  }

  private static List<?> list(Object o) {
    return o == null ? List.of() : (List<?>) o;
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
    names.addAll(mappedVariables(module));
    return names;
  }

  /**
   * The environment variables of a service's own settings (its config mappings), as the tables of
   * docs/configuration.md list them: the services' tests keep those tables equal to the code.
   */
  private Set<String> mappedVariables(String module) throws IOException {
    String doc = Files.readString(root.resolve("docs/configuration.md"));
    List<String> tables =
        module.startsWith("gateway")
            ? List.of("bd3.gateway")
            : module.startsWith("sampler")
                ? List.of("bd3.worker", "bd3.sampler")
                : List.of("bd3.worker");
    Set<String> names = new HashSet<>();
    for (String table : tables) {
      int start = doc.indexOf("<!-- config:" + table + " -->");
      int end = doc.indexOf("<!-- /config:" + table + " -->");
      assertTrue(start >= 0 && end > start, "docs/configuration.md has no table " + table);
      Matcher row = MAPPED_ROW.matcher(doc.substring(start, end));
      while (row.find()) {
        names.add(row.group(1));
      }
    }
    return names;
  }
}
