package dev.bd3.gateway.queue;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Duration;
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

  /** Until when a relay holds the row while it sends it; another relay may take it after. */
  @Column(name = "claimed_until")
  public Instant claimedUntil;

  /** When the row was set aside for good (it can never be sent), and why. */
  @Column(name = "parked_at")
  public Instant parkedAt;

  @Column(name = "park_reason")
  public String parkReason;

  /** Where the broker put the record (partition and offset), once sent. */
  @Column(name = "sent_partition")
  public Integer sentPartition;

  @Column(name = "sent_offset")
  public Long sentOffset;

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

  /** A row as claimed, for sending outside the transaction that claimed it. */
  public record Claimed(long id, String topic, String key, String payload) {}

  /**
   * Claims the oldest pending rows no other relay holds, for {@code claim}: several gateways may
   * relay side by side, each row goes out through one of them (a crashed one's claims run out).
   */
  @SuppressWarnings("unchecked")
  public static List<Claimed> claim(int limit, Duration claim) {
    List<Object[]> rows =
        getEntityManager()
            .createNativeQuery(
                "UPDATE outbox SET claimed_until = now() + make_interval(secs => :claim)"
                    + " WHERE id IN (SELECT id FROM outbox"
                    + "   WHERE sent_at IS NULL AND parked_at IS NULL"
                    + "     AND (claimed_until IS NULL OR claimed_until < now())"
                    + "   ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED)"
                    + " RETURNING id, topic, message_key, payload")
            .setParameter("claim", claim.toMillis() / 1000.0)
            .setParameter("limit", limit)
            .getResultList();
    return rows.stream()
        .map(
            r ->
                new Claimed(
                    ((Number) r[0]).longValue(), (String) r[1], (String) r[2], (String) r[3]))
        .sorted(java.util.Comparator.comparingLong(Claimed::id))
        .toList();
  }

  /** A message the broker acknowledged, and where it put it. */
  public record Sent(long id, int partition, long offset) {}

  /** Marks messages as acknowledged by the broker. */
  public static void markSent(List<Sent> sent, Instant when) {
    for (Sent s : sent) {
      update(
          "sentAt = ?1, claimedUntil = null, sentPartition = ?2, sentOffset = ?3 where id = ?4",
          when,
          s.partition(),
          s.offset(),
          s.id());
    }
  }

  /** The newest message to {@code topic} with {@code key}, sent or not. */
  public static java.util.Optional<OutboxMessage> newest(String topic, String key) {
    return find("topic = ?1 and messageKey = ?2 order by id desc", topic, key)
        .firstResultOptional();
  }

  /** Gives claimed rows back for the next round (the broker did not take them this time). */
  public static void unclaim(List<Long> ids) {
    update("claimedUntil = null where id in ?1", ids);
  }

  /** Sets a row aside for good, with the reason. */
  public static void park(long id, String reason, Instant when) {
    update("parkedAt = ?1, parkReason = ?2, claimedUntil = null where id = ?3", when, reason, id);
  }

  /** Deletes rows sent (or parked) before {@code before}. */
  public static long prune(Instant before) {
    return delete("sentAt < ?1 or parkedAt < ?1", before);
  }

  /** Drops a job message that has not gone out yet (its run was cancelled while queued). */
  public static long dropUnsent(String topic, String key) {
    return delete("sentAt is null and topic = ?1 and messageKey = ?2", topic, key);
  }

  public static long backlog() {
    return count("sentAt is null and parkedAt is null");
  }
}
