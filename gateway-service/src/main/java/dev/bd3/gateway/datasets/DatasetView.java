package dev.bd3.gateway.datasets;

import java.time.Instant;
import java.util.UUID;

/** A dataset as the API shows it: tokens are bytes of UTF-8 plus one EOS per document. */
public record DatasetView(
    UUID id,
    String name,
    String owner,
    String sha256,
    long bytes,
    long documents,
    long trainTokens,
    long validationTokens,
    long testTokens,
    Instant createdAt) {

  static DatasetView of(Dataset d) {
    return new DatasetView(
        d.id,
        d.name,
        d.owner,
        d.sha256,
        d.bytes,
        d.documents,
        d.trainTokens,
        d.validationTokens,
        d.testTokens,
        d.createdAt);
  }
}
