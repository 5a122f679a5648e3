package dev.bd3.kafka;

import dev.bd3.jobs.JobType;
import dev.bd3.jobs.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The suite's topics and job queues, derived from {@link JobType}: a job topic and a share group of
 * workers per type, the events, the control topic, the dead letters. The gateway creates them at
 * start-up (a worker creates its own job topic too), so that no deployment lists them.
 *
 * <p>A job topic has one partition: every member of a share group may then take any of its jobs, so
 * that a job never waits behind another worker's long job while a worker is idle. Events have
 * several partitions (keyed by run id, so one run's stay in order).
 */
public final class KafkaTopology {
  private static final int EVENT_PARTITIONS = 4;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private KafkaTopology() {}

  /** Every topic of the suite under {@code topics}' prefix, created where missing. */
  public static void ensureTopics(Admin admin, Topics topics) {
    create(admin, topics(topics));
  }

  /**
   * Every topic of the suite with its partitions, at the broker's default replication (what a
   * deployment that declares the topics itself, such as Strimzi's KafkaTopics, must match).
   */
  public static List<NewTopic> topics(Topics topics) {
    List<NewTopic> all = new ArrayList<>();
    for (JobType type : JobType.values()) {
      all.add(new NewTopic(topics.jobs(type), 1, (short) -1));
    }
    all.add(new NewTopic(topics.events(), EVENT_PARTITIONS, (short) -1));
    all.add(new NewTopic(topics.control(), 1, (short) -1));
    all.add(new NewTopic(topics.deadLetter(), 1, (short) -1));
    return all;
  }

  /** One job type's topic, created where missing (what a worker needs before it subscribes). */
  public static void ensureJobTopic(Admin admin, Topics topics, JobType type) {
    create(admin, List.of(new NewTopic(topics.jobs(type), 1, (short) -1)));
  }

  /**
   * Sets the queue's rules on each type's share group: jobs produced before the first worker joined
   * count (earliest), a job is locked to its worker for {@code lock} unless renewed, and is
   * delivered at most {@code attempts} times.
   */
  public static void configureQueues(Admin admin, Topics topics, int attempts, Duration lock) {
    Map<ConfigResource, java.util.Collection<AlterConfigOp>> configs = new java.util.HashMap<>();
    for (JobType type : JobType.values()) {
      configs.put(
          new ConfigResource(ConfigResource.Type.GROUP, topics.workers(type)),
          List.of(
              set("share.auto.offset.reset", "earliest"),
              set("share.record.lock.duration.ms", String.valueOf(lock.toMillis())),
              set("share.delivery.count.limit", String.valueOf(attempts))));
    }
    await(admin.incrementalAlterConfigs(configs).all(), "configure the job queues");
  }

  /**
   * The attempt limit of a type's queue as the broker has it ({@code share.delivery.count.limit}).
   */
  public static int attempts(Admin admin, Topics topics, JobType type) {
    ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, topics.workers(type));
    ConfigEntry limit =
        await(admin.describeConfigs(Set.of(group)).all(), "read the queue's attempt limit")
            .get(group)
            .get("share.delivery.count.limit");
    return Integer.parseInt(limit.value());
  }

  private static void create(Admin admin, List<NewTopic> topics) {
    try {
      admin.createTopics(topics).values().values().forEach(KafkaTopology::createdOrExists);
    } catch (RuntimeException e) {
      throw new IllegalStateException("could not create the topics: " + e.getMessage(), e);
    }
  }

  private static void createdOrExists(org.apache.kafka.common.KafkaFuture<Void> created) {
    try {
      created.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException("could not create a topic: " + e.getCause(), e.getCause());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("the broker did not create the topics in " + TIMEOUT, e);
    }
  }

  private static <T> T await(org.apache.kafka.common.KafkaFuture<T> future, String what) {
    try {
      return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException("could not " + what + ": " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("could not " + what + " in " + TIMEOUT, e);
    }
  }

  private static AlterConfigOp set(String name, String value) {
    return new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET);
  }
}
