package dev.bd3.model.nn;

import ai.djl.ndarray.NDArray;

/** Which keys each query may see, and so how attention is computed. */
public sealed interface AttentionPlan {

  /**
   * Every query against every key (cached keys first), under an additive mask (Tq, Tk), or none.
   */
  record Dense(NDArray mask) implements AttentionPlan {
    public static final Dense ALL = new Dense(null);
  }

  /**
   * The vectorised [x_t ; x_0] layout of {@code BlockDiffusionMask}, computed without the quarter
   * that the mask forbids (clean queries to noisy keys) and with the block-diagonal part as
   * per-block products: noisy queries cost L (L' + L) scores and clean ones L L, against 4 L^2 for
   * dense attention over 2L tokens.
   *
   * @param blockSize L'
   * @param offsetBlockCausal additive M_OBC (L, L): noisy queries to earlier clean blocks
   * @param blockCausal additive M_BC (L, L): clean queries to clean blocks up to their own
   */
  record Vectorised(int blockSize, NDArray offsetBlockCausal, NDArray blockCausal)
      implements AttentionPlan {}
}
