package dev.bd3.gateway.dataset;

import dev.bd3.gateway.ProblemException;
import dev.bd3.gateway.auth.Caller;
import dev.bd3.jobs.CorpusText;
import dev.bd3.jobs.TrainSpec;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/** Dataset records: made after an upload, and read when a training job names one. */
@ApplicationScoped
public class Datasets {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

  @Inject Caller caller;

  /** The record of an upload; {@code created} is false when it was already there. */
  public record Recorded(Dataset dataset, boolean created) {}

  static void requireName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw ProblemException.invalid(
          "name", "1 to 100 of A-Z, a-z, 0-9, . _ -, starting with a letter or digit");
    }
  }

  /**
   * Records a stored text as {@code owner}'s dataset {@code name}. The same name with the same text
   * is the dataset already recorded (an upload may be repeated); with other text it is a 409.
   * Concurrent uploads of one name make one record: the insert does nothing on a conflict.
   */
  @Transactional
  Recorded record(String name, String owner, DatasetStore.Stored stored) {
    CorpusText.Sizes sizes = stored.sizes();
    int inserted =
        Dataset.getEntityManager()
            .createNativeQuery(
                "INSERT INTO datasets (id, name, owner, sha256, bytes, documents, train_tokens,"
                    + " validation_tokens, test_tokens, created_at) VALUES (:id, :name, :owner,"
                    + " :sha, :bytes, :documents, :train, :validation, :test, :time)"
                    + " ON CONFLICT (owner, name) DO NOTHING")
            .setParameter("id", UUID.randomUUID())
            .setParameter("name", name)
            .setParameter("owner", owner)
            .setParameter("sha", stored.sha256())
            .setParameter("bytes", stored.bytes())
            .setParameter("documents", sizes.documents())
            .setParameter("train", sizes.tokens(CorpusText.Split.TRAIN))
            .setParameter("validation", sizes.tokens(CorpusText.Split.VALIDATION))
            .setParameter("test", sizes.tokens(CorpusText.Split.TEST))
            .setParameter("time", Instant.now().truncatedTo(ChronoUnit.MICROS))
            .executeUpdate();
    Dataset dataset = Dataset.findByName(owner, name).orElseThrow();
    if (!dataset.sha256.equals(stored.sha256())) {
      throw ProblemException.conflict(
          "dataset "
              + name
              + " exists ("
              + dataset.id
              + ") with other text (sha256 "
              + dataset.sha256
              + "): upload under another name");
    }
    return new Recorded(dataset, inserted == 1);
  }

  /**
   * A dataset the caller may read; another's is as unknown as one that does not exist ({@code
   * field} names where the id came from, null for the path).
   */
  public Dataset visible(String id, String field) {
    return Dataset.findByIdText(id)
        .filter(d -> caller.mayReadOwnedBy(d.owner))
        .orElseThrow(() -> ProblemException.notFound("no dataset with id " + id, field));
  }

  /**
   * A training spec that reads an uploaded dataset, with the text's sha256 filled in, if the
   * dataset is the caller's to read, matches a pinned sha256, and has a window of the model's
   * context length in every split (training, validation, evaluation).
   */
  public TrainSpec reading(TrainSpec train) {
    Dataset dataset = visible(train.corpus(), "spec.corpus");
    if (train.corpusSha256() != null && !train.corpusSha256().equals(dataset.sha256)) {
      throw ProblemException.invalid(
          "spec.corpusSha256",
          "dataset " + dataset.id + " holds the text with sha256 " + dataset.sha256);
    }
    int context = train.resolved().contextLength();
    for (CorpusText.Split split : CorpusText.Split.values()) {
      if (dataset.tokens(split) < context) {
        throw ProblemException.invalid(
            "spec.corpus",
            "the "
                + split.name().toLowerCase(Locale.ROOT)
                + " split of dataset "
                + dataset.id
                + " holds "
                + dataset.tokens(split)
                + " tokens, fewer than one window of contextLength "
                + context);
      }
    }
    return train.withCorpusSha256(dataset.sha256);
  }
}
