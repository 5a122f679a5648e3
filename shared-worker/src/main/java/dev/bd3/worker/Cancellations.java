package dev.bd3.worker;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.bd3.jobs.HoldNotice;
import dev.bd3.jobs.Json;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Run ids whose cancellation was asked for on {@code bd3.jobs.control}. Every worker instance reads
 * that topic in its own consumer group; the one running the job sees the flag at its next step. The
 * same topic carries the gateway's {@link HoldNotice}s (JSON objects, where a cancellation is a
 * bare run id), handed to {@link Holdings}.
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

  private final Holdings holdings;

  @Inject
  public Cancellations(Holdings holdings) {
    this.holdings = holdings;
  }

  @Incoming("control")
  @Blocking
  public void on(String message) {
    String text = message == null ? "" : message.strip();
    if (text.startsWith("{")) {
      try {
        holdings.note(Json.mapper().readValue(text, HoldNotice.class));
      } catch (JsonProcessingException | RuntimeException e) {
        LOG.warnf("unreadable control message skipped: %s", e.getMessage());
      }
      return;
    }
    LOG.infof("cancellation requested for run %s", text);
    cancelled.add(text);
  }

  public boolean isCancelled(String runId) {
    return cancelled.contains(runId);
  }
}
