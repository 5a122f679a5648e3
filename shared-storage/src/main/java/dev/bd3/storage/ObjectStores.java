package dev.bd3.storage;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;

/** The application's object store, when {@link S3Config} names a bucket (its bucket ensured). */
@ApplicationScoped
public class ObjectStores {
  private final Optional<ObjectStore> store;

  @Inject
  public ObjectStores(S3Config config) {
    this.store =
        config.bucket().map(bucket -> new ObjectStore(bucket, config.endpoint(), config.region()));
    store.ifPresent(ObjectStore::ensureBucket);
  }

  public Optional<ObjectStore> store() {
    return store;
  }

  @PreDestroy
  void close() {
    store.ifPresent(ObjectStore::close);
  }
}
