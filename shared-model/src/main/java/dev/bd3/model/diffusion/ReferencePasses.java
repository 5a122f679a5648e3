package dev.bd3.model.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.bd3.model.nn.Attention;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.KvCache;
import java.util.ArrayList;
import java.util.List;

/**
 * The NELBO token terms computed without the vectorised pass, as references for tests and
 * benchmarks. All three equal {@link Nelbo#tokenTerms(Bd3Lm, NoisedBatch, NDManager, boolean)} to
 * float tolerance, gradients included.
 */
public final class ReferencePasses {
  private ReferencePasses() {}

  /** B passes: block b's noisy tokens after the clean blocks before it, block-causally. */
  public static NDArray perBlock(Bd3Lm model, NoisedBatch batch, NDManager s, boolean training) {
    int l = batch.length();
    int lb = batch.blockSize();
    NDArray x0 = batch.cleanArray(s);
    NDArray xt = batch.noisyArray(s);
    NDArray weights = batch.weightArray(s);
    List<NDArray> parts = new ArrayList<>();
    for (int b = 0; b < l / lb; b++) {
      int end = (b + 1) * lb;
      String block = ":, " + b * lb + ":" + end;
      NDArray noisy = xt.get(block);
      NDArray input = b == 0 ? noisy : x0.get(":, :" + b * lb).concat(noisy, 1);
      NDArray mask = Attention.additiveMask(s, BlockDiffusionMask.blockCausal(end, lb), end, end);
      NDArray logits = model.forward(input, positions(s, end), null, mask, training).logits();
      parts.add(
          Nelbo.tokenTerms(logits.get(":, " + b * lb + ":"), x0.get(block), weights.get(block)));
    }
    // NDArrays.concat copies a lone array without its gradient graph
    return parts.size() == 1 ? parts.get(0) : NDArrays.concat(new NDList(parts), 1);
  }

  /** Two passes: x_0 first, then x_t attending to its keys and values (M_OBC) and itself (M_BD). */
  public static NDArray twoPass(Bd3Lm model, NoisedBatch batch, NDManager s, boolean training) {
    int l = batch.length();
    int lb = batch.blockSize();
    NDArray x0 = batch.cleanArray(s);
    NDArray bc = Attention.additiveMask(s, BlockDiffusionMask.blockCausal(l, lb), l, l);
    KvCache clean = KvCache.of(s, model.forward(x0, positions(s, l), null, bc, training).kv());
    boolean[] noisyRows =
        BlockDiffusionMask.concatColumns(
            BlockDiffusionMask.offsetBlockCausal(l, lb),
            BlockDiffusionMask.blockDiagonal(l, lb),
            l);
    NDArray mask = Attention.additiveMask(s, noisyRows, l, 2 * l);
    NDArray logits =
        model.forward(batch.noisyArray(s), positions(s, l), clean, mask, training).logits();
    return Nelbo.tokenTerms(logits, x0, batch.weightArray(s));
  }

  /** One dense pass over [x_t ; x_0] under the full (2L, 2L) mask, forbidden quarter included. */
  public static NDArray dense(Bd3Lm model, NoisedBatch batch, NDManager s, boolean training) {
    int l = batch.length();
    NDArray x0 = batch.cleanArray(s);
    NDArray tokens = batch.noisyArray(s).concat(x0, 1);
    NDArray mask =
        Attention.additiveMask(s, BlockDiffusionMask.full(l, batch.blockSize()), 2 * l, 2 * l);
    NDArray pos = positions(s, l).tile(2);
    NDArray logits = model.forward(tokens, pos, null, mask, training).logits().get(":, :" + l);
    return Nelbo.tokenTerms(logits, x0, batch.weightArray(s));
  }

  private static NDArray positions(NDManager s, int n) {
    return s.arange(0, n, 1, DataType.INT64);
  }
}
