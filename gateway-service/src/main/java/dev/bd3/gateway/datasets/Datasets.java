package dev.bd3.gateway.datasets;

import dev.bd3.gateway.AdvisoryLock;
import dev.bd3.gateway.GatewayConfig;
import dev.bd3.gateway.auth.Caller;
import dev.bd3.gateway.auth.Role;
import dev.bd3.gateway.problems.ProblemException;
import dev.bd3.gateway.runs.Run;
import dev.bd3.jobs.TrainSpec;
import dev.bd3.model.spec.CorpusText;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/** Dataset records: made after an upload, and read when a training job names one. */
@ApplicationScoped
public class Datasets {
  private static final Logger LOG = Logger.getLogger(Datasets.class);
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

  @Inject Caller caller;
  @Inject DatasetStore store;
  @Inject GatewayConfig config;
  @Inject EntityManager em;
  @Inject Event<Unnamed> unnamed;

  /** Removes texts that no record names, each after the deletion that unnamed it committed. */
  private final ExecutorService afterCommit =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "dataset-text-removal");
            t.setDaemon(true);
            return t;
          });

  /** The record of an upload; {@code created} is false when it was already there. */
  public record Recorded(Dataset dataset, boolean created) {}

  /**
   * Fired by a deletion that left no record naming the text with this sha256; observed once that
   * deletion has committed, so that a rollback leaves the record and its text both.
   */
  public record Unnamed(String sha256) {}

  static void requireName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw ProblemException.invalid(
          "name", "1 to 100 of A-Z, a-z, 0-9, . _ -, starting with a letter or digit");
    }
  }

  /**
   * Records a checked text as {@code owner}'s dataset {@code name} and moves it into place. The
   * same name with the same text is the dataset already recorded (an upload may be repeated); with
   * other text it is a 409. The owner's uploads take turns (a lock per owner: names and the storage
   * quota), and so do the uploads and deletions of one text (a lock per sha256: a text is removed
   * only when no record names it).
   */
  @Transactional
  Recorded record(String name, String owner, DatasetStore.Stored stored) {
    AdvisoryLock.hold(em, "datasets of " + owner);
    Optional<Dataset> existing = Dataset.findByName(owner, name);
    if (existing.isPresent()) {
      Dataset dataset = existing.get();
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
      return new Recorded(dataset, false);
    }
    if (!caller.is(Role.ADMIN)) {
      requireRoom(owner, stored.bytes());
    }
    AdvisoryLock.hold(em, "dataset text " + stored.sha256());
    store.keep(stored);
    CorpusText.Sizes sizes = stored.sizes();
    Dataset dataset = new Dataset();
    dataset.id = UUID.randomUUID();
    dataset.name = name;
    dataset.owner = owner;
    dataset.sha256 = stored.sha256();
    dataset.bytes = stored.bytes();
    dataset.documents = sizes.documents();
    dataset.trainTokens = sizes.tokens(CorpusText.Split.TRAIN);
    dataset.validationTokens = sizes.tokens(CorpusText.Split.VALIDATION);
    dataset.testTokens = sizes.tokens(CorpusText.Split.TEST);
    dataset.createdAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
    dataset.persist();
    return new Recorded(dataset, true);
  }

  /** Refuses (422) an upload that would take {@code owner}'s datasets over the storage quota. */
  void requireRoom(String owner, long bytes) {
    long quota = config.quotas().datasetBytes().asLongValue();
    long used = Dataset.bytesOf(owner);
    if (used + bytes > quota) {
      throw ProblemException.overQuota(
          "datasets of %s would hold %d bytes, over the quota of %d (BD3_GATEWAY_QUOTAS_DATASET_BYTES)"
              .formatted(owner, used + bytes, quota));
    }
  }

  /**
   * Deletes a dataset that no training run and no open evaluation reads (a finished training run's
   * evaluation reads its dataset again, so a dataset that one names stays); its text goes when no
   * other record names it, once the deletion has committed. Its owner (a submitter) or an admin
   * may.
   */
  @Transactional
  public Dataset delete(String id) {
    Dataset dataset = visible(id, LockModeType.PESSIMISTIC_WRITE, null);
    if (!caller.mayChangeOwnedBy(dataset.owner)) {
      throw ProblemException.forbidden(
          "dataset " + dataset.id + " is another's: only an admin deletes it");
    }
    List<?> readers =
        em.createNativeQuery(
                "select cast(id as text) from runs where spec->>'corpus' = ?1"
                    + " and (type = 'TRAIN' or status in ('QUEUED', 'RUNNING'))"
                    + " order by created_at limit 5")
            .setParameter(1, dataset.id.toString())
            .getResultList();
    if (!readers.isEmpty()) {
      throw ProblemException.conflict(
          "dataset "
              + dataset.id
              + " is read by runs ("
              + readers.stream().map(String::valueOf).collect(Collectors.joining(", "))
              + "): it stays while runs name it");
    }
    AdvisoryLock.hold(em, "dataset text " + dataset.sha256);
    dataset.delete();
    em.flush();
    if (Dataset.count("sha256", dataset.sha256) == 0) {
      unnamed.fire(new Unnamed(dataset.sha256));
    }
    return dataset;
  }

  void onUnnamed(@Observes(during = TransactionPhase.AFTER_SUCCESS) Unnamed text) {
    // on another thread: this one's transaction has ended but is still bound to it
    try {
      afterCommit.execute(() -> removeUnnamed(text.sha256()));
    } catch (RejectedExecutionException e) {
      LOG.warnf(
          "shutting down: the text %s, which no dataset names, stays in the store", text.sha256());
    }
  }

  /**
   * Removes the text if still no record names it: an upload of the same text may have recorded it
   * since the deletion committed. Under the text's lock, as uploads keep a text.
   */
  void removeUnnamed(String sha256) {
    try {
      QuarkusTransaction.requiringNew()
          .run(
              () -> {
                AdvisoryLock.hold(em, "dataset text " + sha256);
                if (Dataset.count("sha256", sha256) == 0) {
                  store.remove(sha256);
                }
              });
    } catch (RuntimeException e) {
      // no record names it: a leftover file, never a record without its text
      LOG.warnf("could not remove the text %s, which no dataset names: %s", sha256, e);
    }
  }

  @PreDestroy
  void stop() {
    afterCommit.shutdownNow();
  }

  /** A dataset the caller may read; another's is as unknown as one that does not exist. */
  public Dataset visible(String id) {
    return visible(id, LockModeType.NONE, null);
  }

  /** The same, its row locked as {@code lock} says; {@code field} names where the id came from. */
  private Dataset visible(String id, LockModeType lock, String field) {
    return Run.parseId(id)
        .map(uuid -> Dataset.<Dataset>findById(uuid, lock))
        .filter(d -> caller.mayReadOwnedBy(d.owner))
        .orElseThrow(() -> ProblemException.notFound("no dataset with id " + id, field));
  }

  /** A training spec that reads an uploaded dataset, with the text's sha256 filled in. */
  public TrainSpec reading(TrainSpec train) {
    return train.withCorpusSha256(
        sha256Of(train.corpus(), train.corpusSha256(), train.resolved().contextLength()));
  }

  /**
   * The sha256 of the text of the dataset that a job names as its corpus ({@code spec.corpus}), if
   * the dataset is the caller's to read, matches a pinned sha256 ({@code spec.corpusSha256}), and
   * has a window of the model's context length in every split (training, validation, evaluation).
   */
  public String sha256Of(String id, String pinned, int context) {
    // held until the run is stored, so that a deletion waits and then sees the run
    Dataset dataset = visible(id, LockModeType.PESSIMISTIC_READ, "spec.corpus");
    if (pinned != null && !pinned.equals(dataset.sha256)) {
      throw ProblemException.invalid(
          "spec.corpusSha256",
          "dataset " + dataset.id + " holds the text with sha256 " + dataset.sha256);
    }
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
    return dataset.sha256;
  }
}
