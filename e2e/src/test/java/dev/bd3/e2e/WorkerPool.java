package dev.bd3.e2e;

import dev.bd3.jobs.JobType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the deployments give the workers of one job type: the one place to size a pool. The worker's
 * name and topic come from {@link JobType}, its port from its own application.properties; the
 * deployment files are made from these (DeploymentFilesTest).
 *
 * @param cpus CPUs a Kubernetes pod requests
 * @param memoryGib memory a pod requests and is limited to, GiB: 2 of them the image's heap, 1 the
 *     JVM's and libtorch's overhead, the rest the jobs' tensors (what the gateway admits)
 * @param localHeap the heap of an instance of {@code deploy/local/suite}
 * @param minReplicas the fewest pods the autoscaler keeps (0: the pool sleeps when idle)
 * @param maxReplicas the most pods it starts
 */
record WorkerPool(
    JobType type,
    String portVariable,
    int port,
    int cpus,
    int memoryGib,
    String localHeap,
    int minReplicas,
    int maxReplicas) {
  /** The heap the workers' image gives the JVM, GiB. */
  static final int IMAGE_HEAP_GIB = 2;

  /** The JVM's and libtorch's memory beside the heap, GiB. */
  static final int NATIVE_OVERHEAD_GIB = 1;

  private static final Pattern PORT =
      Pattern.compile("(?m)^quarkus\\.http\\.port=\\$\\{(BD3_[A-Z]+_PORT):(\\d+)}$");

  /** Every job type's pool, by port. */
  static List<WorkerPool> all(Path root) throws IOException {
    List<WorkerPool> pools = new ArrayList<>();
    for (JobType type : JobType.values()) {
      pools.add(of(root, type));
    }
    pools.sort(Comparator.comparingInt(WorkerPool::port));
    return pools;
  }

  private static WorkerPool of(Path root, JobType type) throws IOException {
    Path properties =
        root.resolve(type.worker() + "-service/src/main/resources/application.properties");
    Matcher port = PORT.matcher(Files.readString(properties));
    if (!port.find()) {
      throw new AssertionError(properties + " sets no quarkus.http.port=${BD3_<WORKER>_PORT:n}");
    }
    String variable = port.group(1);
    int number = Integer.parseInt(port.group(2));
    return switch (type) {
      case TRAIN -> new WorkerPool(type, variable, number, 2, 8, "3g", 0, 4);
      case SAMPLE -> new WorkerPool(type, variable, number, 1, 4, "1g", 1, 8);
      case EVAL -> new WorkerPool(type, variable, number, 2, 6, "2g", 0, 4);
    };
  }

  String worker() {
    return type.worker();
  }

  /** What the gateway admits to this pool, for its BD3_<TYPE>_MEMORY: the pod's less the JVM's. */
  String admittedMemory() {
    return (memoryGib - IMAGE_HEAP_GIB - NATIVE_OVERHEAD_GIB) + "G";
  }

  /** The gateway's setting of the memory this pool admits. */
  String admittedMemoryVariable() {
    return "BD3_" + type.name() + "_MEMORY";
  }

  /** deploy/local/suite's variable for the number of instances: TRAINERS, SAMPLERS, EVALS. */
  String localCountVariable() {
    return worker().toUpperCase(Locale.ROOT) + "S";
  }

  static List<String> workers(List<WorkerPool> pools) {
    return pools.stream().map(WorkerPool::worker).toList();
  }
}
