package dev.bd3.worker;

import dev.bd3.jobs.Fence;
import dev.bd3.jobs.Grant;
import dev.bd3.jobs.HoldNotice;
import dev.bd3.jobs.JobEvent;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * The runs this worker holds, so that the gateway's word on a hold reaches it: a {@link Grant}
 * confirms it, a {@link Fence} stops it. The gateway is the one that sees two holders of a run; the
 * broker sees two records.
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

  /** Passes a notice on to the hold it names, if this worker has it. */
  void note(HoldNotice notice) {
    if (notice instanceof Fence f) {
      fence(f);
    } else if (notice instanceof Grant g) {
      Holding h = held.get(g.runId());
      if (h != null && h.attempt() == g.attempt() && h.holder().equals(g.holder())) {
        h.lease().grant();
      }
    }
  }

  private void fence(Fence fence) {
    Holding h = held.get(fence.runId());
    if (h != null && h.attempt() == fence.attempt() && h.holder().equals(fence.holder())) {
      LOG.warnf(
          "run %s: the gateway refused this worker's hold (attempt %d, record %s); stopping",
          fence.runId(), fence.attempt(), fence.holder().record());
      h.lease().fence(fence.recordSpent());
    }
  }
}
