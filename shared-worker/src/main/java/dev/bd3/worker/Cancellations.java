package dev.bd3.worker;

import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Run ids whose cancellation was asked for on {@code bd3.jobs.control}. Every worker instance reads
 * that topic in its own consumer group; the one running the job sees the flag at its next step.
 */
@ApplicationScoped
public class Cancellations {
  private static final Logger LOG = Logger.getLogger(Cancellations.class);
  private static final int REMEMBERED = 10_000;

  private final Set<String> cancelled =
      Collections.newSetFromMap(
          Collections.synchronizedMap(
              new LinkedHashMap<>() {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                  return size() > REMEMBERED;
                }
              }));

  @Incoming("control")
  @Blocking
  public void on(String runId) {
    LOG.infof("cancellation requested for run %s", runId);
    cancelled.add(runId.strip());
  }

  public boolean isCancelled(String runId) {
    return cancelled.contains(runId);
  }
}
