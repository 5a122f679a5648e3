package dev.bd3.jobs;

/**
 * A rule a job spec breaks: the field (its JSON name inside the spec) and what it must be.
 *
 * @param field the spec field, e.g. {@code blockSize}
 * @param message what the field must be, e.g. "must divide the context length 128"
 */
public record SpecViolation(String field, String message) {}
