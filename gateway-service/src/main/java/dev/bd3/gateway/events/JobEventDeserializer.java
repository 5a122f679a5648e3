package dev.bd3.gateway.events;

import dev.bd3.jobs.JobEvent;
import dev.bd3.jobs.Json;
import io.quarkus.kafka.client.serialization.ObjectMapperDeserializer;

/** Reads {@code bd3.job-events} with the contract's JSON settings. */
public class JobEventDeserializer extends ObjectMapperDeserializer<JobEvent> {
  public JobEventDeserializer() {
    super(JobEvent.class, Json.mapper());
  }
}
