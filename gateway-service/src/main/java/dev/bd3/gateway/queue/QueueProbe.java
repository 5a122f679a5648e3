package dev.bd3.gateway.queue;

import dev.bd3.gateway.GatewayConfig;
import dev.bd3.jobs.JobType;
import dev.bd3.kafka.KafkaClients;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * Asks the broker whether a job queue still holds a record. A share group's start offset moves past
 * a record only once that record is acknowledged or archived (at the delivery limit), and a record
 * before the log's start has been deleted: either way no worker will ever get it.
 */
@ApplicationScoped
public class QueueProbe {
  private static final Logger LOG = Logger.getLogger(QueueProbe.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  @Inject GatewayConfig config;

  /** The broker's settings (address, SASL/TLS) that every client shares. */
  @Inject
  @Identifier("default-kafka-broker")
  Map<String, Object> broker;

  private Admin admin;

  /** Where a queue starts, per partition: records before it are gone for good. */
  public record Start(Map<Integer, Long> offsets) {
    /** Whether the record at {@code partition}/{@code offset} may still be delivered. */
    public boolean holds(int partition, long offset) {
      return offset >= offsets.getOrDefault(partition, 0L);
    }
  }

  /** Where the queue of {@code type} starts now; empty when the broker cannot tell. */
  public Optional<Start> start(JobType type) {
    String topic = config.topics().jobs(type);
    String group = config.topics().workers(type);
    try {
      Map<TopicPartition, SharePartitionOffsetInfo> shared =
          admin()
              .listShareGroupOffsets(Map.of(group, new ListShareGroupOffsetsSpec()))
              .partitionsToOffsetInfo(group)
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
      admin()
          .describeTopics(List.of(topic))
          .allTopicNames()
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .get(topic)
          .partitions()
          .forEach(
              p -> earliest.put(new TopicPartition(topic, p.partition()), OffsetSpec.earliest()));
      Map<Integer, Long> start = new HashMap<>();
      admin()
          .listOffsets(earliest)
          .all()
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .forEach((p, o) -> start.put(p.partition(), o.offset()));
      // a partition the group has not read yet starts at the log's start
      shared.forEach(
          (p, info) -> {
            if (p.topic().equals(topic)) {
              start.merge(p.partition(), info.startOffset(), Math::max);
            }
          });
      return Optional.of(new Start(start));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      LOG.debugf("cannot read where %s starts for %s: %s", topic, group, e.getMessage());
      return Optional.empty();
    }
  }

  /** Whether the broker answers now. */
  public boolean reachable() {
    try {
      admin().describeCluster().nodes().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      return false;
    }
  }

  private synchronized Admin admin() {
    if (admin == null) {
      admin =
          Admin.create(
              KafkaClients.config(
                  broker,
                  Map.of(
                      "client.id", "bd3-gateway-queue-probe",
                      "request.timeout.ms", "5000",
                      "default.api.timeout.ms", "5000")));
    }
    return admin;
  }

  @PreDestroy
  synchronized void close() {
    if (admin != null) {
      admin.close(Duration.ofSeconds(1));
    }
  }
}
