package dev.bd3.jobs;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * What the gateway tells a worker about its hold on a run, on {@link Topics#control()} (a JSON
 * object, where a cancellation is a bare run id): it holds the run ({@link Grant}), or it must stop
 * ({@link Fence}).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
  @JsonSubTypes.Type(value = Grant.class, name = "grant"),
  @JsonSubTypes.Type(value = Fence.class, name = "fence")
})
public sealed interface HoldNotice permits Grant, Fence {
  /** The run the notice is about. */
  String runId();
}
