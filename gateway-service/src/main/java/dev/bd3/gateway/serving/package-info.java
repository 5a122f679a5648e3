/**
 * OpenAI-compatible completions: each prompt becomes a sample run marked served, streamed back one
 * committed block per chunk.
 */
package dev.bd3.gateway.serving;
