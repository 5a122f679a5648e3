package dev.bd3.gateway.events;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.health.api.Wellness;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;

/**
 * Whether the live-events consumer holds its partitions (it starts from the end, so an event stream
 * opened before would miss what comes meanwhile). Shown in the health details, not part of
 * readiness: while Kafka is away the history is still served, and a stream still replays it.
 */
@Wellness
@ApplicationScoped
@Identifier("live-events-rebalance")
public class LiveEventsCheck implements HealthCheck, KafkaConsumerRebalanceListener {
  private volatile boolean assigned;

  @Override
  public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
    assigned = !partitions.isEmpty() || assigned;
  }

  @Override
  public HealthCheckResponse call() {
    return HealthCheckResponse.named("live events").status(assigned).build();
  }
}
