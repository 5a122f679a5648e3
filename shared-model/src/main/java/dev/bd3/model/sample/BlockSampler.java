package dev.bd3.model.sample;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bd3.model.data.Tokenizer;
import dev.bd3.model.diffusion.BlockDiffusionMask;
import dev.bd3.model.eval.UnigramEntropy;
import dev.bd3.model.nn.Attention;
import dev.bd3.model.nn.Bd3Lm;
import dev.bd3.model.nn.IntraOpThreads;
import dev.bd3.model.nn.KvCache;
import dev.bd3.model.nn.LayerKv;
import dev.bd3.model.nn.ScriptedForward;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * Generates block by block. Each block starts as L' MASK tokens and is denoised by a {@link
 * DenoisingRule}, attending to the KV cache of the finished blocks and to itself. A finished
 * block's keys and values are computed in the next block's first evaluation, which takes [finished
 * block ; next block] under the block-causal mask, so generation costs one pass per evaluation (an
 * autoregressive model, L' = 1: one pass per token, as a causal transformer needs). A sample stops
 * at EOS, at degenerate text or at the maximum length, so lengths vary; past the training context
 * the cache slides. When nothing changed since the last evaluation, p_theta is reused.
 *
 * <p>Shapes: N active samples, L' block size, V vocabulary, S cached tokens.
 */
public final class BlockSampler {
  private final Bd3Lm model;
  private final SamplerConfig config;
  private final boolean useCache;
  private final boolean scripted;
  private final Tokenizer tokenizer;
  private final int mask;
  private final Utf8Constraint automaton;

  private BlockSampler(Bd3Lm model, SamplerConfig config, boolean useCache, boolean scripted) {
    if (model.config().causal()) {
      throw new IllegalArgumentException(
          "the causal model predicts the next token; block sampling needs a diffusion model");
    }
    if (model.config().timeConditioning()) {
      // the reference's BD3-LMs are not time-conditioned; their sampler's sigma is not ported
      throw new IllegalArgumentException("sampling a time-conditioned model is not supported");
    }
    this.model = model;
    this.config = config;
    this.useCache = useCache;
    this.scripted = scripted;
    this.tokenizer = model.config().tokenizer();
    this.mask = model.config().mask();
    this.automaton = Utf8Constraint.of(tokenizer);
  }

  /**
   * With the KV cache, every pass one TorchScript call ({@link ScriptedForward}) on one intra-op
   * thread ({@link IntraOpThreads}): how the workers sample.
   */
  public static BlockSampler cached(Bd3Lm model, SamplerConfig config) {
    return new BlockSampler(model, config, true, true);
  }

  /**
   * With the KV cache, every pass the eager forward, an operation per call: the reference for
   * {@link #cached}, which gives the same tokens.
   */
  public static BlockSampler cachedEager(Bd3Lm model, SamplerConfig config) {
    return new BlockSampler(model, config, true, false);
  }

  /**
   * The reference without a KV cache: every evaluation recomputes the whole prefix under the
   * block-causal mask. Within the training context it yields the same tokens as {@link #cached}.
   */
  public static BlockSampler recomputing(Bd3Lm model, SamplerConfig config) {
    return new BlockSampler(model, config, false, false);
  }

  /** Called when a block of a sample is final. */
  public interface Listener {
    void onBlock(int sample, int block, int[] tokens);

    Listener NONE = (sample, block, tokens) -> {};
  }

  /**
   * The samples, and the forward passes of the batch that produced them (the prompt's prefill
   * included): what generation costs, where each sample's NFE counts its evaluations.
   */
  public record Result(List<GeneratedSample> samples, int batchPasses) {}

  /**
   * Generates {@code n} samples continuing {@code prompt} (the model's token ids, may be empty).
   */
  public Result generate(int n, int[] prompt, NDManager parent, Listener listener) {
    return generate(n, prompt, parent, listener, () -> false);
  }

  /**
   * Like {@link #generate(int, int[], NDManager, Listener)}, polling {@code cancelled} before every
   * block: once it holds, generation ends with the blocks finished so far.
   */
  public Result generate(
      int n, int[] prompt, NDManager parent, Listener listener, BooleanSupplier cancelled) {
    int[] prefix = prefix(prompt);
    int lb = model.config().blockSize();
    int l = model.config().contextLength();
    boolean mdlm = lb == l;
    // MDLM slides a window of L tokens, half context, half new (the reference's semi-AR sampler)
    int context = mdlm ? Math.min(prefix.length, l / 2) : 0;
    int full = mdlm ? prefix.length - context : prefix.length / lb * lb; // prefix tokens done
    Batch batch = new Batch(n, prefix, full);
    SplittableRandom random = new SplittableRandom(config.seed());
    DenoisingRule rule = DenoisingRule.of(config, mask);
    try (NDManager m = parent.newSubManager();
        KvCache cache = new KvCache(m, model.config().layers(), model.config().headSize());
        ScriptedForward script = scripted ? model.scripted() : null;
        IntraOpThreads threads = scripted ? IntraOpThreads.limit(1) : null) {
      Forward forward =
          script != null ? script::forward : (t, p, c, mask) -> model.forward(t, p, c, mask, false);
      if (useCache && !mdlm && full > 0) {
        // only what the window keeps: the last L - L' tokens of the prompt's complete blocks
        prefill(
            Arrays.copyOfRange(prefix, Math.max(0, full - (l - lb)), full), n, cache, forward, m);
        batch.passes++;
      }
      int[] fixed = Arrays.copyOfRange(prefix, full, prefix.length);
      int overlap = 0; // leading tokens of x that are committed text (MDLM's context)
      int[][] unstored = null; // the last finished block of each row, not yet in the cache
      for (int block = 0; !batch.active.isEmpty() && !cancelled.getAsBoolean(); block++) {
        if (useCache) {
          // the window stays L tokens: the cache, the unstored block, the block being denoised;
          // positions count from the window's start, as the reference's do
          cache.keepLast(l - lb - (unstored == null ? 0 : lb));
        }
        int position = useCache ? cache.length() + (unstored == null ? 0 : lb) : batch.done();
        int[][] x = new int[batch.active.size()][lb];
        for (int i = 0; i < x.length; i++) {
          Arrays.fill(x[i], mask);
          int[] committed = overlap > 0 ? batch.last(batch.active.get(i), overlap) : fixed;
          System.arraycopy(committed, 0, x[i], 0, committed.length);
        }
        batch.startBlock(overlap);
        batch.passes += denoise(x, position, rule, random, batch, cache, unstored, forward, m);
        List<Integer> keep = batch.finishBlock(x, overlap, block, listener);
        unstored = useCache && !mdlm ? rows(x, keep) : null;
        if (useCache && keep.size() < x.length && !keep.isEmpty()) {
          try (NDManager step = m.newSubManager()) {
            cache.keepRows(step.create(keep.stream().mapToLong(Integer::longValue).toArray()));
          }
        }
        fixed = new int[0];
        overlap = mdlm ? l / 2 : 0;
      }
    }
    return new Result(batch.samples(), batch.passes);
  }

  /**
   * BOS and the prompt. With the UTF-8 constraint the prompt must be complete, valid UTF-8: a
   * sample continues its text, and no completion repairs bytes that are already malformed.
   */
  private int[] prefix(int[] prompt) {
    for (int id : prompt) {
      if (id < 0 || id >= model.config().vocabSize() || id == mask) {
        throw new IllegalArgumentException(
            "the prompt holds " + id + ", not a token of " + tokenizer.name());
      }
    }
    if (config.validUtf8()) {
      try {
        tokenizer.decodeStrict(prompt);
      } catch (CharacterCodingException e) {
        throw new IllegalArgumentException("the prompt is not valid UTF-8 text", e);
      }
      if (!Utf8Constraint.complete(
          automaton.after(Utf8Constraint.BOUNDARY, prompt, 0, prompt.length))) {
        throw new IllegalArgumentException("the prompt ends inside a character");
      }
    }
    int[] prefix = new int[prompt.length + 1];
    prefix[0] = tokenizer.bos();
    System.arraycopy(prompt, 0, prefix, 1, prompt.length);
    return prefix;
  }

  /**
   * Tokens of complete blocks go into the cache in one block-causal pass, computed once for the
   * batch (the prompt is the same for every sample) and shared by its rows.
   */
  private void prefill(int[] tokens, int n, KvCache cache, Forward forward, NDManager m) {
    try (NDManager step = m.newSubManager()) {
      NDArray mask = blockCausal(step, tokens.length);
      cache.append(
          forward
              .run(
                  tokens(step, new int[][] {tokens}), positions(step, 0, tokens.length), null, mask)
              .kv());
      cache.repeatRows(n);
    }
  }

  private static int[][] rows(int[][] x, List<Integer> keep) {
    return keep.stream().map(i -> x[i]).toArray(int[][]::new);
  }

  /**
   * Denoises the blocks x (N, L') in place; returns the evaluations run. The first one also stores
   * {@code unstored} (N, L'), the blocks before x, in the cache (null: nothing to store).
   */
  private int denoise(
      int[][] x,
      int position,
      DenoisingRule rule,
      SplittableRandom random,
      Batch batch,
      KvCache cache,
      int[][] unstored,
      Forward forward,
      NDManager m) {
    boolean[] stale = new boolean[x.length];
    Arrays.fill(stale, true);
    Distributions p = null;
    int passes = 0;
    for (int k = 0; k < rule.steps(x[0].length) && anyMasked(x); k++) {
      if (anyTrue(stale)) {
        p = probabilities(x, position, batch, cache, unstored, forward, m);
        unstored = null;
        passes++;
        for (int i = 0; i < x.length; i++) {
          batch.nfe[batch.active.get(i)] += stale[i] ? 1 : 0;
        }
      }
      for (int i = 0; i < x.length; i++) {
        stale[i] =
            rule.step(x[i], p.filtered()[i], p.confidence()[i], k, random, draw(batch, i, p.raw()));
      }
    }
    return passes;
  }

  /**
   * p_theta at every masked position of every block (N, L', V), nucleus-filtered; unfiltered too
   * where the UTF-8 constraint may need it (null otherwise); and each position's confidence (N,
   * L'), the largest probability of p_theta before the nucleus.
   */
  private record Distributions(double[][][] filtered, double[][][] raw, double[][] confidence) {}

  /**
   * How row i draws a token: straight from p, or restricted to the tokens that keep its text valid
   * UTF-8. When the constraint leaves none of the nucleus, the nucleus is taken again from the
   * allowed part of the unfiltered p_theta.
   */
  private DenoisingRule.TokenDraw draw(Batch batch, int row, double[][][] raw) {
    if (!config.validUtf8()) {
      return DenoisingRule.TokenDraw.FROM_P;
    }
    int start = batch.blockStart[row];
    return (x, j, p, random) -> {
      boolean[] ok = automaton.allowed(start, x, j);
      double[] q = restricted(p, ok);
      if (q == null) {
        double[] all = restricted(raw[row][j], ok);
        q = all == null ? restricted(ok) : Nucleus.filter(all, config.nucleus());
      }
      return Nucleus.draw(q, random);
    };
  }

  /** p on the allowed ids, renormalised; null when they have no mass. */
  private static double[] restricted(double[] p, boolean[] ok) {
    double[] q = new double[p.length];
    double mass = 0;
    for (int c = 0; c < p.length; c++) {
      q[c] = ok[c] ? p[c] : 0;
      mass += q[c];
    }
    if (mass <= 0) {
      return null;
    }
    for (int c = 0; c < q.length; c++) {
      q[c] /= mass;
    }
    return q;
  }

  /** Uniform over the allowed ids. */
  private static double[] restricted(boolean[] ok) {
    double[] uniform = new double[ok.length];
    Arrays.fill(uniform, 1);
    return restricted(uniform, ok);
  }

  /** p_theta at every position of every block, in float64: (N, L', V). */
  private Distributions probabilities(
      int[][] x,
      int position,
      Batch batch,
      KvCache cache,
      int[][] unstored,
      Forward forward,
      NDManager m) {
    int lb = x[0].length;
    int v = model.config().vocabSize();
    double[] flat;
    try (NDManager step = m.newSubManager()) {
      NDArray logits;
      if (useCache && unstored != null) {
        logits = storeAndEvaluate(unstored, x, position, cache, forward, step);
      } else if (useCache) {
        logits = forward.run(tokens(step, x), positions(step, position, lb), cache, null).logits();
      } else {
        int[][] rows = new int[x.length][];
        for (int i = 0; i < x.length; i++) {
          // MDLM's window holds its context itself; the others attend to the whole prefix
          int[] prior =
              lb == model.config().contextLength() ? new int[0] : batch.tokens(batch.active.get(i));
          rows[i] = Arrays.copyOf(prior, prior.length + lb);
          System.arraycopy(x[i], 0, rows[i], prior.length, lb);
        }
        int length = rows[0].length;
        logits =
            forward
                .run(
                    tokens(step, rows), positions(step, 0, length), null, blockCausal(step, length))
                .logits()
                .get(":, " + (length - lb) + ":");
      }
      NDArray scaled = logits.toType(DataType.FLOAT64, false);
      if (config.temperature() > 0 && config.temperature() != 1) {
        scaled = scaled.div(config.temperature()); // at 0 the nucleus keeps the most likely id
      }
      flat = scaled.softmax(-1).toDoubleArray(); // (N, L', V)
    }
    // only masked positions are ever drawn from, and the masked set only shrinks while p is reused
    double[][][] p = new double[x.length][lb][];
    double[][][] raw = config.validUtf8() ? new double[x.length][lb][] : null;
    double[][] confidence = new double[x.length][lb];
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < lb; j++) {
        if (x[i][j] == mask) {
          double[] row = Arrays.copyOfRange(flat, (i * lb + j) * v, (i * lb + j + 1) * v);
          confidence[i][j] = Nucleus.max(row);
          p[i][j] = Nucleus.filter(row, config.nucleus());
          if (raw != null) {
            raw[i][j] = row;
          }
        }
      }
    }
    return new Distributions(p, raw, confidence);
  }

  /**
   * One pass over [finished ; x] (N, 2L'), the finished blocks at the positions before x: their
   * keys and values go into the cache and the logits of x (N, L', V) come back. The block-causal
   * mask keeps the finished block from seeing x, so its keys and values are those a pass of its own
   * would give.
   */
  private NDArray storeAndEvaluate(
      int[][] finished, int[][] x, int position, KvCache cache, Forward forward, NDManager step) {
    int lb = x[0].length;
    int[][] rows = new int[x.length][];
    for (int i = 0; i < x.length; i++) {
      rows[i] = Arrays.copyOf(finished[i], 2 * lb);
      System.arraycopy(x[i], 0, rows[i], lb, lb);
    }
    int s = cache.length();
    boolean[] allowed = new boolean[2 * lb * (s + 2 * lb)];
    boolean[] blocks = BlockDiffusionMask.blockCausal(2 * lb, lb);
    for (int q = 0; q < 2 * lb; q++) {
      Arrays.fill(allowed, q * (s + 2 * lb), q * (s + 2 * lb) + s, true); // the cache
      System.arraycopy(blocks, q * 2 * lb, allowed, q * (s + 2 * lb) + s, 2 * lb);
    }
    Bd3Lm.Output out =
        forward.run(
            tokens(step, rows),
            positions(step, position - lb, 2 * lb),
            cache,
            Attention.additiveMask(step, allowed, 2 * lb, s + 2 * lb));
    List<LayerKv> stored = new ArrayList<>();
    for (LayerKv kv : out.kv()) {
      stored.add(new LayerKv(kv.keys().get(":, :, :" + lb), kv.values().get(":, :, :" + lb)));
    }
    cache.append(stored);
    return out.logits().get(":, " + lb + ":");
  }

  /** A forward pass without gradients: the eager one or the model's scripted one. */
  @FunctionalInterface
  private interface Forward {
    Bd3Lm.Output run(NDArray tokens, NDArray positions, KvCache cache, NDArray mask);
  }

  private NDArray blockCausal(NDManager m, int length) {
    int lb = model.config().blockSize();
    return Attention.additiveMask(m, BlockDiffusionMask.blockCausal(length, lb), length, length);
  }

  private static NDArray tokens(NDManager m, int[][] rows) {
    long[] flat = new long[rows.length * rows[0].length];
    for (int i = 0; i < rows.length; i++) {
      for (int j = 0; j < rows[i].length; j++) {
        flat[i * rows[i].length + j] = rows[i][j];
      }
    }
    return m.create(flat, new Shape(rows.length, rows[0].length));
  }

  private static NDArray positions(NDManager m, long from, int count) {
    return m.arange(from, from + count, 1, DataType.INT64);
  }

  private boolean anyMasked(int[][] x) {
    for (int[] row : x) {
      for (int id : row) {
        if (id == mask) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean anyTrue(boolean[] flags) {
    for (boolean f : flags) {
      if (f) {
        return true;
      }
    }
    return false;
  }

  /** The samples being generated; {@code active} lists those still going, in cache row order. */
  private final class Batch {
    final int promptLength;
    final List<int[]> sequences = new ArrayList<>();
    final int[] lengths;
    final int[] nfe;
    final int[] utf8; // the UTF-8 automaton's state after each sample's finished text
    final int promptUtf8; // and after the prompt
    int[] blockStart = new int[0]; // the state where each active row's block x begins
    final StopReason[] stops;
    final List<Integer> active = new ArrayList<>();
    int passes;

    /** The first {@code complete} prefix tokens are done; the rest come with the first block. */
    Batch(int n, int[] prefix, int complete) {
      promptLength = prefix.length;
      lengths = new int[n];
      nfe = new int[n];
      utf8 = new int[n];
      promptUtf8 = automaton.after(Utf8Constraint.BOUNDARY, prefix, 0, prefix.length);
      stops = new StopReason[n];
      for (int i = 0; i < n; i++) {
        sequences.add(Arrays.copyOf(prefix, Math.max(16, prefix.length * 2)));
        lengths[i] = complete;
        utf8[i] = automaton.after(Utf8Constraint.BOUNDARY, prefix, 0, complete);
        active.add(i);
      }
    }

    int[] tokens(int sample) {
      return Arrays.copyOf(sequences.get(sample), lengths[sample]);
    }

    /** The last {@code count} committed tokens of a sample. */
    int[] last(int sample, int count) {
      return Arrays.copyOfRange(sequences.get(sample), lengths[sample] - count, lengths[sample]);
    }

    /** Committed tokens of the active samples (alike until one stops). */
    int done() {
      return active.isEmpty() ? 0 : lengths[active.get(0)];
    }

    /** Notes where each row's block begins: {@code overlap} committed tokens before its end. */
    void startBlock(int overlap) {
      blockStart = new int[active.size()];
      for (int row = 0; row < blockStart.length; row++) {
        int sample = active.get(row);
        blockStart[row] =
            overlap == 0
                ? utf8[sample]
                : automaton.after(
                    Utf8Constraint.BOUNDARY, sequences.get(sample), 0, lengths[sample] - overlap);
      }
    }

    /**
     * Appends the finished blocks (but their first {@code overlap} tokens, committed already),
     * applies the stop rules; returns the rows that go on.
     */
    List<Integer> finishBlock(int[][] x, int overlap, int block, Listener listener) {
      List<Integer> keep = new ArrayList<>();
      List<Integer> still = new ArrayList<>();
      for (int row = 0; row < x.length; row++) {
        int sample = active.get(row);
        int start = lengths[sample];
        append(sample, Arrays.copyOfRange(x[row], overlap, x[row].length));
        StopReason stop = stopRule(sample, start);
        int from = Math.min(Math.max(start, promptLength), lengths[sample]);
        listener.onBlock(
            sample, block, Arrays.copyOfRange(sequences.get(sample), from, lengths[sample]));
        if (stop == null) {
          keep.add(row);
          still.add(sample);
        } else {
          stops[sample] = stop;
        }
      }
      active.clear();
      active.addAll(still);
      return keep;
    }

    private void append(int sample, int[] block) {
      int[] seq = sequences.get(sample);
      if (lengths[sample] + block.length > seq.length) {
        seq = Arrays.copyOf(seq, 2 * (lengths[sample] + block.length));
        sequences.set(sample, seq);
      }
      System.arraycopy(block, 0, seq, lengths[sample], block.length);
      lengths[sample] += block.length;
      utf8[sample] = automaton.after(utf8[sample], block, 0, block.length);
    }

    /** Stop rules, checked after each block; may shorten the sample. */
    private StopReason stopRule(int sample, int blockStart) {
      int[] seq = sequences.get(sample);
      int end = Math.min(lengths[sample], promptLength + config.maxTokens()); // the cap comes first
      if (config.stopOnEos()) {
        for (int i = Math.max(blockStart, promptLength); i < end; i++) {
          if (seq[i] == tokenizer.eos()) {
            lengths[sample] = i;
            return StopReason.EOS;
          }
        }
      }
      int generated = lengths[sample] - promptLength;
      if (generated >= config.maxTokens()) {
        lengths[sample] = end;
        return StopReason.MAX_LENGTH;
      }
      int window = config.entropyWindow();
      if (config.entropyThreshold() > 0
          && generated >= window
          && UnigramEntropy.of(seq, lengths[sample] - window, lengths[sample])
              < config.entropyThreshold()) {
        return StopReason.LOW_ENTROPY;
      }
      return null;
    }

    /**
     * Where sample i's text ends: with the UTF-8 constraint, before a character that a stop rule
     * cut short (the cap, or a block boundary inside a character).
     */
    private int textEnd(int i) {
      int end = lengths[i];
      int[] seq = sequences.get(i);
      while (config.validUtf8()
          && end > promptLength
          && !Utf8Constraint.complete(automaton.after(promptUtf8, seq, promptLength, end))) {
        end--;
      }
      return end;
    }

    List<GeneratedSample> samples() {
      List<GeneratedSample> out = new ArrayList<>();
      for (int i = 0; i < lengths.length; i++) {
        int[] generated = Arrays.copyOfRange(sequences.get(i), promptLength, textEnd(i));
        out.add(
            new GeneratedSample(
                generated,
                tokenizer.decode(generated),
                nfe[i],
                stops[i] == null ? StopReason.CANCELLED : stops[i],
                UnigramEntropy.of(generated)));
      }
      return out;
    }
  }
}
