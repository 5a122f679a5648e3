/**
 * The gateway: the suite's REST API and run history. Each feature is a package of its own: {@code
 * runs}, {@code queue} (outbox and Kafka), {@code events}, {@code problems}, {@code auth}, {@code
 * datasets}, {@code release} (models in the authors' layout) and {@code serving} (OpenAI-compatible
 * completions); this package holds what they share (configuration, metrics, the API document).
 */
package dev.bd3.gateway;
