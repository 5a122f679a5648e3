package dev.bd3.gateway;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import io.quarkus.panache.common.Sort;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;

/**
 * A Kafka message written in the same transaction as the change it announces, so that a change is
 * never committed without its message nor a message sent for a change rolled back.
 */
@Entity
@Table(name = "outbox")
public class OutboxMessage extends PanacheEntityBase {
  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  public Long id;

  public String topic;

  @Column(name = "message_key")
  public String messageKey;

  public String payload;

  @Column(name = "created_at")
  public Instant createdAt;

  @Column(name = "sent_at")
  public Instant sentAt;

  /** Adds a message to the outbox (in the caller's transaction). */
  public static OutboxMessage enqueue(String topic, String key, String payload) {
    OutboxMessage message = new OutboxMessage();
    message.topic = topic;
    message.messageKey = key;
    message.payload = payload;
    message.createdAt = Instant.now();
    message.persist();
    return message;
  }

  /** The oldest unsent messages, in the order they were written. */
  public static List<OutboxMessage> unsent(int limit) {
    return find("sentAt is null", Sort.by("id")).page(0, limit).list();
  }

  /** Marks messages as acknowledged by the broker. */
  public static void markSent(List<Long> ids, Instant when) {
    update("sentAt = ?1 where id in ?2", when, ids);
  }

  /** Drops a job message that has not gone out yet (its run was cancelled while queued). */
  public static long dropUnsent(String topic, String key) {
    return delete("sentAt is null and topic = ?1 and messageKey = ?2", topic, key);
  }

  public static long backlog() {
    return count("sentAt is null");
  }
}
