/**
 * The way to the workers: the transactional outbox and its relay to Kafka, the topics and share
 * groups set up at start-up, probes of what the queue still holds, stale runs, dead letters.
 */
package dev.bd3.gateway.queue;
