package dev.bd3.e2e;

import static java.util.stream.Collectors.joining;

import dev.bd3.jobs.Topics;
import dev.bd3.testsupport.DocTables;
import dev.bd3.testsupport.LocalStack;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The workers' parts of the deployment files are made from {@link WorkerPool} (hence from JobType):
 * a job type added there gets its Kubernetes deployment, autoscaler, GPU variant, compose services,
 * Prometheus targets, local instances and Dockerfile by {@code ./mvnw -pl e2e test
 * -Dtest=DeploymentFilesTest -Dbd3.docs.update=true}. Each file is checked for what it must hold by
 * KubernetesManifestsTest and DockerComposeTest; this test keeps them equal to what the pools say.
 */
class DeploymentFilesTest {
  private static final String MADE_BY =
      "# Made by DeploymentFilesTest from WorkerPool (e2e): edit it there, not here.\n";

  private static final Path ROOT = LocalStack.root();
  private static List<WorkerPool> pools;

  @BeforeAll
  static void readPools() throws Exception {
    pools = WorkerPool.all(ROOT);
  }

  @Test
  void kubernetesDeploysEveryPool() throws Exception {
    for (WorkerPool p : pools) {
      DocTables.checkFile(ROOT.resolve("deploy/k8s/base/" + p.worker() + ".yaml"), deployment(p));
    }
    DocTables.check(
        ROOT.resolve("deploy/k8s/base/kustomization.yaml"),
        Map.of(
            "worker-resources", lines(p -> "  - " + p.worker() + ".yaml"),
            "worker-images",
                lines(p -> "  - name: bd3/" + p.worker() + "-service\n    newTag: 0.1.0")));
    DocTables.check(
        ROOT.resolve("deploy/k8s/base/config.yaml"),
        Map.of(
            "admitted-memory",
            lines(p -> "  " + p.admittedMemoryVariable() + ": " + p.admittedMemory())));
    DocTables.check(
        ROOT.resolve("deploy/k8s/components/autoscaling/scaled-objects.yaml"),
        Map.of(
            "scaled-objects",
            pools.stream().map(DeploymentFilesTest::scaledObject).collect(joining("---\n"))));
    DocTables.check(
        ROOT.resolve("deploy/k8s/overlays/gpu/kustomization.yaml"),
        Map.of(
            "gpu-images",
            lines(
                p ->
                    "  - { name: bd3/%1$s-service, newName: bd3/%1$s-service-gpu }"
                        .formatted(p.worker())),
            "gpu-deployments",
            "  - target: { kind: Deployment, name: \"%s\" }\n"
                .formatted(String.join("|", WorkerPool.workers(pools)))));
  }

  @Test
  void theOperatorsGiveEveryPoolItsQueueAndUser() throws Exception {
    Path overlay = ROOT.resolve("deploy/k8s/overlays/operators");
    DocTables.check(
        overlay.resolve("kafka.yaml"),
        Map.of(
            "job-topics",
            lines(
                p ->
                    """
                    # %1$s jobs: one partition, so that any idle %2$s takes the next one
                    apiVersion: kafka.strimzi.io/v1
                    kind: KafkaTopic
                    metadata:
                      name: %3$s
                      labels: { strimzi.io/cluster: bd3 }
                    spec:
                      topicName: %3$s
                      partitions: 1
                      replicas: 3
                    ---"""
                        .formatted(p.type().json(), p.worker(), queue(p)))));
    String acl =
        "      - resource: { type: %s, name: %s, patternType: literal }\n        operations: [%s]";
    DocTables.check(
        overlay.resolve("kafka-users.yaml"),
        Map.of(
            "gateway-queues",
            lines(p -> acl.formatted("topic", queue(p), "Write, Create, Describe")),
            "gateway-share-groups",
            lines(p -> acl.formatted("group", shareGroup(p), "AlterConfigs, Describe")),
            "worker-users",
            pools.stream()
                .map(
                    p ->
                        """
                        apiVersion: kafka.strimzi.io/v1
                        kind: KafkaUser
                        metadata:
                          name: bd3-%1$s
                          labels: { strimzi.io/cluster: bd3 }
                        spec:
                          authentication: { type: scram-sha-512 }
                          authorization:
                            type: simple
                            acls:
                              - resource: { type: topic, name: %2$s, patternType: literal }
                                operations: [Read, Create, Describe]
                              - resource: { type: group, name: %3$s, patternType: literal }
                                operations: [Read]
                              - resource: { type: topic, name: bd3.jobs.control, patternType: literal }
                                operations: [Read, Describe]
                              - resource: { type: group, name: bd3-control-, patternType: prefix }
                                operations: [Read]
                              - resource: { type: topic, name: bd3.job-events, patternType: literal }
                                operations: [Write, Describe]
                              - resource: { type: topic, name: bd3.jobs.dlq, patternType: literal }
                                operations: [Write, Describe]
                        """
                            .formatted(p.worker(), queue(p), shareGroup(p)))
                .collect(joining("---\n"))));
    DocTables.check(
        overlay.resolve("kustomization.yaml"),
        Map.of(
            "worker-patches",
            lines(
                p ->
                    """
                      - target: { kind: Deployment, name: %1$s }
                        patch: |
                          apiVersion: apps/v1
                          kind: Deployment
                          metadata: { name: %1$s }
                          spec:
                            template:
                              spec:
                                containers:
                                  - name: %1$s
                                    env:
                                      - name: KAFKA_SASL_JAAS_CONFIG
                                        valueFrom: { secretKeyRef: { name: bd3-%1$s, key: sasl.jaas.config } }
                                      - name: KAFKA_SSL_TRUSTSTORE_CERTIFICATES
                                        valueFrom: { secretKeyRef: { name: bd3-cluster-ca-cert, key: ca.crt } }
                    """
                        .formatted(p.worker()))));
    DocTables.check(
        ROOT.resolve("deploy/docker/kafka-users.sh"),
        Map.of(
            "worker-users",
            "pools=\"%s\"\n"
                    .formatted(
                        pools.stream()
                            .map(p -> p.type().json() + ":" + p.worker())
                            .collect(joining(" ")))
                + lines(p -> "user bd3-%s \"${%s:-}\"".formatted(p.worker(), kafkaPassword(p)))));
  }

  @Test
  void composeRunsEveryPool() throws Exception {
    DocTables.check(
        ROOT.resolve("docker-compose.yml"),
        Map.of(
            "worker-env",
            pools.stream()
                .map(
                    p ->
                        """
                        x-%s-env: &%1$s-env
                          <<: *kafka-env
                          %s: %d
                          BD3_ARTIFACTS: /artifacts
                        """
                            .formatted(p.worker(), p.portVariable(), p.port()))
                .collect(joining("\n")),
            "cpu-workers",
            pools.stream()
                .map(
                    p ->
                        """
                          %1$s:
                            <<: *cpu-worker
                            build:
                              context: ./%1$s-service
                              dockerfile: src/main/docker/Dockerfile.jvm
                            environment: *%1$s-env
                            ports:
                              - "127.0.0.1:%2$d:%2$d"
                        """
                            .formatted(p.worker(), p.port()))
                .collect(joining("\n")),
            "gpu-workers",
            pools.stream()
                .map(
                    p ->
                        """
                          %1$s-gpu:
                            <<: *gpu-worker
                            build:
                              context: .
                              dockerfile: deploy/docker/Dockerfile.gpu
                              args: { SERVICE: %1$s }
                            environment: *%1$s-env
                            ports:
                              - "127.0.0.1:%2$d:%2$d"
                        """
                            .formatted(p.worker(), p.port()))
                .collect(joining("\n"))));
    String password = "${%1$s:?set %1$s in .env (see docs/deployment.md)}";
    DocTables.check(
        ROOT.resolve("docker-compose.sasl.yml"),
        Map.of(
            "worker-env",
            pools.stream()
                .map(
                    p ->
                        """
                        x-%1$s-env: &%1$s-env
                          <<: *sasl
                          KAFKA_SASL_JAAS_CONFIG: %2$s username="bd3-%1$s" password="%3$s";
                        """
                            .formatted(
                                p.worker(),
                                "org.apache.kafka.common.security.scram.ScramLoginModule required",
                                password.formatted(kafkaPassword(p))))
                .collect(joining("\n")),
            "worker-passwords",
            lines(
                p ->
                    "      %s: %s"
                        .formatted(kafkaPassword(p), password.formatted(kafkaPassword(p)))),
            "workers",
            lines(
                p ->
                    "  %1$s: { environment: *%1$s-env, depends_on: *users }\n".formatted(p.worker())
                        + "  %1$s-gpu: { environment: *%1$s-env, depends_on: *users }"
                            .formatted(p.worker()))));
    DocTables.check(
        ROOT.resolve("deploy/prometheus/prometheus.yml"),
        Map.of(
            "worker-targets",
            lines(
                p ->
                    "      - targets: [%1$s:%2$d, %1$s-gpu:%2$d]\n        labels: { service: %1$s }"
                        .formatted(p.worker(), p.port()))));
  }

  @Test
  void theLocalSuiteAndTheImagesRunEveryPool() throws Exception {
    DocTables.check(
        ROOT.resolve("deploy/local/suite"),
        Map.of(
            "workers",
            lines(
                p ->
                    "%s ${%s:-%d} %s ${%s:-1}"
                        .formatted(
                            p.worker(),
                            p.portVariable(),
                            p.port(),
                            p.localHeap(),
                            p.localCountVariable()))));
    for (WorkerPool p : pools) {
      DocTables.checkFile(
          ROOT.resolve(p.worker() + "-service/src/main/docker/Dockerfile.jvm"), dockerfile(p));
    }
  }

  /** One line or more a pool, each ending in a newline. */
  private static String lines(Function<WorkerPool, String> line) {
    return pools.stream().map(line).map(l -> l.endsWith("\n") ? l : l + "\n").collect(joining());
  }

  private static String queue(WorkerPool p) {
    return Topics.DEFAULT.jobs(p.type());
  }

  private static String shareGroup(WorkerPool p) {
    return Topics.DEFAULT.workers(p.type());
  }

  private static String kafkaPassword(WorkerPool p) {
    return "BD3_KAFKA_" + p.worker().toUpperCase(Locale.ROOT) + "_PASSWORD";
  }

  private static String deployment(WorkerPool p) {
    return MADE_BY
        + """
        # The %1$s worker: takes %2$s jobs from its Kafka share group, one at a time per
        # pod; every replica takes the next job whatever the others do: scale with replicas at will.
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: %1$s
          labels: { app.kubernetes.io/name: %1$s }
        spec:
          replicas: 1
          selector:
            matchLabels: { app.kubernetes.io/name: %1$s }
          template:
            metadata:
              labels: { app.kubernetes.io/name: %1$s }
              annotations:
                prometheus.io/scrape: "true"
                prometheus.io/port: "%3$d"
                prometheus.io/path: /q/metrics
            spec:
              terminationGracePeriodSeconds: 60
              securityContext:
                # the images' group (bd3, gid 1001): a fresh volume is made writable to it; its
                # files are regrouped only when the volume's root is not (a full store mounts fast)
                fsGroup: 1001
                fsGroupChangePolicy: OnRootMismatch
              containers:
                - name: %1$s
                  image: bd3/%1$s-service
                  ports: [{ name: http, containerPort: %3$d }]
                  env:
                    - { name: %4$s, value: "%3$d" }
                  envFrom:
                    - configMapRef: { name: bd3-config }
                    - secretRef: { name: bd3-kafka, optional: true } # SASL/TLS to Kafka (config.yaml)
                    - secretRef: { name: bd3-s3, optional: true } # object storage keys (config.yaml)
                  volumeMounts:
                    - { name: artifacts, mountPath: /artifacts }
                  readinessProbe:
                    httpGet: { path: /q/health/ready, port: http }
                    periodSeconds: 10
                  livenessProbe:
                    httpGet: { path: /q/health/live, port: http }
                    initialDelaySeconds: 60
                  resources:
                    requests: { cpu: "%5$d", memory: %6$dGi }
                    limits: { memory: %6$dGi }
              volumes:
                - name: artifacts
                  persistentVolumeClaim: { claimName: bd3-artifacts }
        """
            .formatted(
                p.worker(),
                Topics.DEFAULT.jobs(p.type()),
                p.port(),
                p.portVariable(),
                p.cpus(),
                p.memoryGib());
  }

  private static String scaledObject(WorkerPool p) {
    return """
        apiVersion: keda.sh/v1alpha1
        kind: ScaledObject
        metadata:
          name: %1$s
        spec:
          scaleTargetRef: { name: %1$s }
          minReplicaCount: %2$d
          maxReplicaCount: %3$d
          pollingInterval: 15
          cooldownPeriod: 300
          advanced:
            horizontalPodAutoscalerConfig:
              behavior:
                scaleDown: { stabilizationWindowSeconds: 300 }
          triggers:
            - type: prometheus
              metadata:
                serverAddress: http://prometheus-operated.monitoring.svc:9090
                query: max(bd3_jobs_open{type="%4$s"})
                threshold: "1"
        """
        .formatted(p.worker(), p.minReplicas(), p.maxReplicas(), p.type().json());
  }

  private static String dockerfile(WorkerPool p) {
    return MADE_BY
        + """
        # The %1$s worker on the JVM (CPU; libtorch comes inside the pytorch-native-cpu jar).
        # Build the application first (./mvnw package -DskipTests), then:
        #   docker build -f src/main/docker/Dockerfile.jvm -t bd3/%1$s-service %1$s-service
        FROM eclipse-temurin:17-jre
        # A fixed heap: tensors live in libtorch's native memory, not on the Java heap, so the rest of the
        # container's memory is theirs (deploy/k8s sizes the limits with this: %4$d GiB heap + %5$d GiB overhead)
        ENV LANG=C.UTF-8 \\
            %2$s=%3$d \\
            DJL_CACHE_DIR=/var/cache/djl \\
            OMP_WAIT_POLICY=PASSIVE \\
            JAVA_OPTS="-Xmx%4$dg -Dai.djl.offline=true"
        # uid and gid 1001 (deploy/k8s gives every pod fsGroup 1001); /artifacts is made here, as a fresh
        # volume mounted there takes its owner from the image's folder
        RUN groupadd --system --gid 1001 bd3 \\
         && useradd --system --uid 1001 --gid bd3 --home /deployments bd3 \\
         && mkdir -p /deployments /var/cache/djl /artifacts \\
         && chown -R bd3:bd3 /deployments /var/cache/djl /artifacts
        COPY --chown=bd3 target/quarkus-app/lib/ /deployments/lib/
        COPY --chown=bd3 target/quarkus-app/*.jar /deployments/
        COPY --chown=bd3 target/quarkus-app/app/ /deployments/app/
        COPY --chown=bd3 target/quarkus-app/quarkus/ /deployments/quarkus/
        USER bd3
        WORKDIR /deployments
        EXPOSE %3$d
        HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \\
          CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/$%2$s && printf "GET /q/health/ready HTTP/1.0\\r\\n\\r\\n" >&3 && head -1 <&3 | grep -q " 200"'
        ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS -jar /deployments/quarkus-run.jar"]
        """
            .formatted(
                p.worker(),
                p.portVariable(),
                p.port(),
                WorkerPool.IMAGE_HEAP_GIB,
                WorkerPool.NATIVE_OVERHEAD_GIB);
  }
}
