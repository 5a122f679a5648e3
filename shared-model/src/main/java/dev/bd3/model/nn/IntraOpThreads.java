package dev.bd3.model.nn;

import ai.djl.pytorch.jni.JniUtils;

/**
 * Limits libtorch's intra-op threads while open, then restores them. A sampler's cached passes are
 * small (a block of a few tokens against the cache): sharing each of their operations out to a pool
 * whose threads sleep between operations (OMP_WAIT_POLICY=PASSIVE, as the workers run) costs a
 * wake-up per operation, more than the operation itself, so they run faster on one thread. Large
 * passes (training, evaluation, recomputing a prefix) keep the pool.
 */
public final class IntraOpThreads implements AutoCloseable {
  private final int before;

  private IntraOpThreads(int threads) {
    this.before = JniUtils.getNumThreads();
    JniUtils.setNumThreads(threads);
  }

  /** At most {@code threads} intra-op threads until closed. */
  public static IntraOpThreads limit(int threads) {
    return new IntraOpThreads(threads);
  }

  @Override
  public void close() {
    JniUtils.setNumThreads(before);
  }
}
