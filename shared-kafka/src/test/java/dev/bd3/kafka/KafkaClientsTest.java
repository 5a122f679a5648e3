package dev.bd3.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** A client made by hand gets the broker's settings (SASL/TLS too), its own on top. */
class KafkaClientsTest {

  @Test
  void theBrokersSettingsThenTheClientsOwn() {
    Map<String, Object> broker =
        Map.of(
            "bootstrap.servers", "kafka:9093",
            "security.protocol", "SASL_SSL",
            "sasl.mechanism", "SCRAM-SHA-512",
            "client.id", "shared");
    Map<String, Object> config = KafkaClients.config(broker, Map.of("client.id", "dead-letters"));
    assertEquals("SASL_SSL", config.get("security.protocol"));
    assertEquals("SCRAM-SHA-512", config.get("sasl.mechanism"));
    assertEquals("kafka:9093", config.get("bootstrap.servers"));
    assertEquals("dead-letters", config.get("client.id"), "the client's own setting wins");
    assertEquals(4, config.size());
  }
}
