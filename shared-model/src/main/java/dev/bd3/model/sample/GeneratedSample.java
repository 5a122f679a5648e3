package dev.bd3.model.sample;

/**
 * One generated sequence.
 *
 * @param tokens the generated ids (prompt and BOS excluded, EOS excluded)
 * @param text their UTF-8 text
 * @param nfe function evaluations this sample needed (KV-cache passes excluded)
 * @param entropy unigram entropy of the tokens, in nats
 */
public record GeneratedSample(
    int[] tokens, String text, int nfe, StopReason stop, double entropy) {}
