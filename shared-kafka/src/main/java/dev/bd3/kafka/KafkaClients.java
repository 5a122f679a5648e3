package dev.bd3.kafka;

import java.util.HashMap;
import java.util.Map;

/**
 * The settings of a Kafka client the suite makes by hand (admin, share consumer, dead-letter
 * reader): the broker's settings every client shares (Quarkus' {@code default-kafka-broker}: the
 * {@code kafka.*} properties and {@code KAFKA_*} variables, bootstrap servers and SASL/TLS alike),
 * then the client's own.
 */
public final class KafkaClients {
  private KafkaClients() {}

  public static Map<String, Object> config(Map<String, Object> broker, Map<String, Object> own) {
    Map<String, Object> config = new HashMap<>(broker);
    config.putAll(own);
    return config;
  }
}
