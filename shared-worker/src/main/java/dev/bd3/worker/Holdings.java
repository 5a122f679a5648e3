package dev.bd3.worker;

import dev.bd3.jobs.Fence;
import dev.bd3.jobs.JobEvent;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * The runs this worker holds, so that a {@link Fence} from the gateway stops exactly the hold it
 * names: the gateway is the one that sees two holders of a run, the broker sees two records.
 */
@ApplicationScoped
public class Holdings {
  private static final Logger LOG = Logger.getLogger(Holdings.class);

  private record Holding(int attempt, JobEvent.Holder holder, Lease lease) {}

  private final Map<String, Holding> held = new ConcurrentHashMap<>();

  void hold(String runId, int attempt, JobEvent.Holder holder, Lease lease) {
    held.put(runId, new Holding(attempt, holder, lease));
  }

  void release(String runId, Lease lease) {
    held.computeIfPresent(runId, (id, h) -> h.lease() == lease ? null : h);
  }

  /** Stops the hold the fence names, if this worker has it. */
  void fence(Fence fence) {
    Holding h = held.get(fence.runId());
    if (h != null && h.attempt() == fence.attempt() && h.holder().equals(fence.holder())) {
      LOG.warnf(
          "run %s: the gateway refused this worker's hold (attempt %d, record %s); stopping",
          fence.runId(), fence.attempt(), fence.holder().record());
      h.lease().fence(fence.recordSpent());
    }
  }
}
