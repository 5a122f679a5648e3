package dev.bd3.gateway;

import jakarta.persistence.EntityManager;

/**
 * A PostgreSQL advisory lock on a name, held until the transaction ends: what concurrent requests
 * about the same thing (an owner's quota, a dataset's text) take in turn.
 */
public final class AdvisoryLock {
  private AdvisoryLock() {}

  public static void hold(EntityManager em, String name) {
    // the function returns void: counted, to read a row back
    em.createNativeQuery("select count(*) from (select pg_advisory_xact_lock(hashtext(?1))) l")
        .setParameter(1, name)
        .getSingleResult();
  }
}
