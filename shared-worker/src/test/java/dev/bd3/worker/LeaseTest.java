package dev.bd3.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LeaseTest {
  @Test
  void aHoldWaitingForItsGrantClaimsTheRunAgainUntilTheGrantComes() throws Exception {
    Lease lease = new Lease(Duration.ofMillis(50));
    AtomicInteger claims = new AtomicInteger();
    lease.claimWith(
        () -> {
          if (claims.incrementAndGet() == 3) {
            lease.grant(); // the gateway answers the third claim
          }
        });
    CompletableFuture.runAsync(lease::awaitGrant).get(10, TimeUnit.SECONDS);
    assertEquals(3, claims.get(), "claimed again until granted, then no more");
  }

  @Test
  void aGrantedHoldDoesNotClaimAgain() {
    Lease lease = new Lease(Duration.ofMillis(1));
    AtomicInteger claims = new AtomicInteger();
    lease.claimWith(claims::incrementAndGet);
    lease.grant();
    lease.awaitGrant();
    assertEquals(0, claims.get());
  }

  @Test
  void aFencedHoldStopsWaitingAndClaimingAtOnce() throws Exception {
    Lease lease = new Lease(Duration.ofMillis(20));
    AtomicInteger claims = new AtomicInteger();
    lease.claimWith(
        () -> {
          claims.incrementAndGet();
          lease.fence(false); // the gateway refuses the claim
        });
    CompletableFuture<Void> waiting = CompletableFuture.runAsync(lease::awaitGrant);
    var thrown = assertThrows(ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS));
    assertTrue(thrown.getCause() instanceof Lease.LeaseLost, thrown.toString());
    assertEquals(1, claims.get());
  }
}
