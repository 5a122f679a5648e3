/**
 * The way back from the workers: job events applied to the run history by the run's one holder, and
 * streamed live to SSE clients.
 */
package dev.bd3.gateway.events;
