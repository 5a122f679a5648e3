package dev.bd3.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The one JSON configuration of the job contract, shared by producers and consumers. Readers are
 * tolerant of unknown fields so that the contract can grow; the gateway is strict with user input.
 */
public final class Json {
  private static final ObjectMapper MAPPER = configure(new ObjectMapper());

  private Json() {}

  /** Applies the contract's settings to a mapper (Quarkus customises its own with this). */
  public static ObjectMapper configure(ObjectMapper mapper) {
    return mapper
        .registerModule(new JavaTimeModule())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .setSerializationInclusion(JsonInclude.Include.NON_NULL);
  }

  public static ObjectMapper mapper() {
    return MAPPER;
  }
}
