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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;

/**
 * Generates for several requests to one model in one batch, block by block (continuous batching): a
 * request joins at the next block boundary, leaves when its samples stop, and every row of the
 * batch (one sample of one request) is denoised in the same passes. Each block starts as L' MASK
 * tokens and is denoised by its request's {@link DenoisingRule}, attending to the KV cache of its
 * finished blocks and to itself. A finished block's keys and values are computed in the next
 * block's first evaluation, which takes [finished block ; next block] under the block-causal mask,
 * so generation costs one pass per evaluation. A sample stops at EOS, at degenerate text or at its
 * maximum length; past the training context the cache slides.
 *
 * <p>Rows hold histories of different lengths. The cache is right-aligned: a row's cached tokens
 * fill the last slots, the slots before them are masked out, and every row's block sits at the same
 * positions after the cache. Rotary attention depends only on relative positions, so a row sees
 * what it would see alone; its draws come from its own request's random stream, so a request
 * generates the same text whatever its batch mates (up to float rounding of the logits).
 *
 * <p>One thread calls {@link #step}; {@link #join} may be called from any thread.
 *
 * <p>Shapes: N rows, L' block size, V vocabulary, S cache slots.
 */
public final class BatchDecoder implements AutoCloseable {
  private final Bd3Lm model;
  private final boolean useCache;
  private final Tokenizer tokenizer;
  private final int mask;
  private final int lb;
  private final int l;
  private final boolean mdlm;
  private final Utf8Constraint automaton;
  private final NDManager manager;
  private final KvCache cache;
  private final ScriptedForward script;
  private final Forward forward;
  private final Queue<Request> waiting = new ConcurrentLinkedQueue<>();
  private final List<Row> rows = new ArrayList<>(); // in the cache's row order

  BatchDecoder(Bd3Lm model, boolean useCache, boolean scripted, NDManager parent) {
    if (model.config().causal()) {
      throw new IllegalArgumentException(
          "the causal model predicts the next token; block sampling needs a diffusion model");
    }
    if (model.config().timeConditioning()) {
      // the reference's BD3-LMs are not time-conditioned; their sampler's sigma is not ported
      throw new IllegalArgumentException("sampling a time-conditioned model is not supported");
    }
    this.model = model;
    this.useCache = useCache;
    this.tokenizer = model.config().tokenizer();
    this.mask = model.config().mask();
    this.lb = model.config().blockSize();
    this.l = model.config().contextLength();
    this.mdlm = lb == l;
    this.automaton = Utf8Constraint.of(tokenizer);
    this.manager = parent.newSubManager();
    this.cache = new KvCache(manager, model.config().layers(), model.config().headSize());
    this.script = scripted ? model.scripted() : null;
    this.forward =
        script != null ? script::forward : (t, p, c, m) -> model.forward(t, p, c, m, false);
  }

  /**
   * With the KV cache, every pass one TorchScript call ({@link ScriptedForward}): how the workers
   * sample. Its passes are small; the caller runs them on one intra-op thread ({@link
   * IntraOpThreads}), set once for all of its steps (setting it costs more than a pass).
   */
  public static BatchDecoder of(Bd3Lm model, NDManager parent) {
    return new BatchDecoder(model, true, true, parent);
  }

  /**
   * Queues {@code n} samples continuing {@code prompt} (the model's token ids, may be empty); they
   * join the batch at the next block boundary. {@code cancelled} is polled before every block: once
   * it holds, the request ends with the blocks finished so far. Throws here, in the caller's
   * thread, for a prompt the model cannot continue.
   */
  public Request join(
      int n,
      int[] prompt,
      SamplerConfig config,
      BlockSampler.Listener listener,
      BooleanSupplier cancelled) {
    if (!useCache && (!rows.isEmpty() || !waiting.isEmpty())) {
      throw new IllegalStateException("recomputing the prefix serves one request at a time");
    }
    Request request = new Request(n, prefix(prompt, config), config, listener, cancelled);
    waiting.add(request);
    return request;
  }

  /**
   * Admits the waiting requests, then decodes one block of every row. Returns whether any request
   * is still going or waiting. A failure of the model fails every request in the batch; a failure
   * of one request's listener or cancellation check fails that request alone.
   */
  public boolean step() {
    try {
      admit();
      leave();
      if (!rows.isEmpty()) {
        decodeBlock();
      }
    } catch (RuntimeException | Error e) {
      for (Row row : rows) {
        row.request.completion.completeExceptionally(e);
      }
      rows.clear();
      cache.clear();
    }
    return !rows.isEmpty() || !waiting.isEmpty();
  }

  /**
   * Whether no request is in the batch or waiting. Call it from the stepping thread, with joins
   * held off (the caller's lock), or its answer may be out of date.
   */
  public boolean idle() {
    return rows.isEmpty() && waiting.isEmpty();
  }

  @Override
  public void close() {
    IllegalStateException closed = new IllegalStateException("the decoder was closed");
    rows.forEach(row -> row.request.completion.completeExceptionally(closed));
    waiting.forEach(request -> request.completion.completeExceptionally(closed));
    if (script != null) {
      script.close();
    }
    cache.close();
    manager.close();
  }

  /**
   * BOS and the prompt. With the UTF-8 constraint the prompt must be complete, valid UTF-8: a
   * sample continues its text, and no completion repairs bytes that are already malformed.
   */
  private int[] prefix(int[] prompt, SamplerConfig config) {
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
   * The waiting requests join the batch. A request's complete prompt blocks but the last go into
   * its cache in one block-causal pass, computed once for its samples and shared by its rows (the
   * window keeps the last L - 2L' tokens of them); the last is stored by its first evaluation, as a
   * finished block is.
   */
  private void admit() {
    for (Request r = waiting.poll(); r != null; r = waiting.poll()) {
      if (r.cancelled()) {
        r.complete();
        continue;
      }
      int[] unstored = null;
      KvCache joining = null;
      if (useCache && !mdlm && r.settled >= lb) {
        unstored = Arrays.copyOfRange(r.prefix, r.settled - lb, r.settled);
        int[] prior =
            Arrays.copyOfRange(r.prefix, Math.max(0, r.settled - (l - lb)), r.settled - lb);
        if (prior.length > 0) {
          joining = prefill(prior, r.n);
          r.passes++;
          r.batchSum++;
        }
      }
      int valid = joining == null ? 0 : joining.length();
      if (useCache) {
        cache.stack(joining, rows.size(), r.n);
      }
      for (int i = 0; i < r.n; i++) {
        rows.add(new Row(r, i, unstored, valid));
      }
    }
  }

  /** Tokens into a new cache in one block-causal pass, repeated for {@code n} rows. */
  private KvCache prefill(int[] tokens, int n) {
    KvCache joining = new KvCache(manager, model.config().layers(), model.config().headSize());
    try (NDManager step = manager.newSubManager()) {
      NDArray allowed = blockCausal(step, tokens.length);
      joining.append(
          forward
              .run(
                  tokens(step, new int[][] {tokens}),
                  positions(step, 0, tokens.length),
                  null,
                  allowed)
              .kv());
      joining.repeatRows(n);
    }
    return joining;
  }

  /** Rows of requests that were cancelled or failed leave the batch. */
  private void leave() {
    for (Request r : requests(rows)) {
      if (!r.completion.isDone() && r.cancelled()) {
        r.complete();
      }
    }
    keepRows(rows.stream().filter(row -> !row.request.completion.isDone()).toList());
  }

  /** Denoises one block of every row, then applies the stop rules. */
  private void decodeBlock() {
    boolean store = useCache && !mdlm && rows.stream().anyMatch(row -> row.unstored != null);
    if (useCache) {
      // the window stays L tokens: the cache, the unstored block, the block being denoised
      int keep = Math.min(l - lb - (store ? lb : 0), maxValid());
      cache.keepLast(keep);
      rows.forEach(row -> row.valid = Math.min(row.valid, cache.length()));
    }
    int[][] x = new int[rows.size()][lb];
    int[] overlap = new int[x.length]; // leading tokens of x that are committed text
    for (int i = 0; i < x.length; i++) {
      Row row = rows.get(i);
      overlap[i] = mdlm && !row.first ? l / 2 : 0;
      int[] committed = row.first ? row.request.fixed : row.request.last(row.sample, overlap[i]);
      Arrays.fill(x[i], mask);
      System.arraycopy(committed, 0, x[i], 0, committed.length);
      row.startBlock(overlap[i]);
    }
    int passes = denoise(x, store);
    Set<Request> batch = requests(rows);
    for (Request r : batch) {
      r.passes += passes;
      r.batchSum += (long) passes * batch.size();
    }
    List<Row> going = new ArrayList<>();
    for (int i = 0; i < x.length; i++) {
      Row row = rows.get(i);
      if (row.finishBlock(x[i], overlap[i])) {
        row.unstored = useCache && !mdlm ? x[i] : null;
        row.first = false;
        going.add(row);
      }
    }
    for (Request r : batch) {
      if (r.live == 0) {
        r.complete();
      }
    }
    keepRows(going.stream().filter(row -> !row.request.completion.isDone()).toList());
  }

  private static Set<Request> requests(List<Row> rows) {
    Set<Request> out = new LinkedHashSet<>();
    rows.forEach(row -> out.add(row.request));
    return out;
  }

  /** Keeps the listed rows (a subsequence of {@code rows}) and their cache rows. */
  private void keepRows(List<Row> keep) {
    if (keep.size() == rows.size()) {
      return;
    }
    if (keep.isEmpty()) {
      rows.clear();
      cache.clear();
      return;
    }
    if (useCache) {
      long[] index = keep.stream().mapToLong(rows::indexOf).toArray();
      try (NDManager step = manager.newSubManager()) {
        cache.keepRows(step.create(index));
      }
    }
    rows.retainAll(keep);
    if (useCache) {
      cache.keepLast(maxValid()); // slots no row uses any more
    }
  }

  private int maxValid() {
    return rows.stream().mapToInt(row -> row.valid).max().orElse(0);
  }

  /**
   * Denoises the blocks x (N, L') in place; returns the evaluations run. With {@code store}, the
   * first one also stores the rows' unstored blocks in the cache.
   */
  private int denoise(int[][] x, boolean store) {
    boolean[] stale = new boolean[x.length];
    Arrays.fill(stale, true);
    Distributions p = null;
    int passes = 0;
    int steps = rows.stream().mapToInt(row -> row.request.rule.steps(lb)).max().orElse(0);
    for (int k = 0; k < steps && anyMasked(x); k++) {
      for (int i = 0; i < x.length; i++) {
        stale[i] &= anyMasked(x[i]); // a finished block waits for the others, unevaluated
      }
      if (anyTrue(stale)) {
        p = probabilities(x, store);
        store = false;
        passes++;
        for (int i = 0; i < x.length; i++) {
          rows.get(i).request.nfe[rows.get(i).sample] += stale[i] ? 1 : 0;
        }
      }
      for (int i = 0; i < x.length; i++) {
        Request r = rows.get(i).request;
        stale[i] =
            k < r.rule.steps(lb)
                && r.rule.step(x[i], p.p()[i], p.confidence()[i], k, r.random, draw(i));
      }
    }
    return passes;
  }

  /**
   * p_theta at every masked position of every block (N, L', V), before the nucleus (a draw filters
   * the one it draws from: most positions are not drawn at every evaluation), and each position's
   * confidence (N, L'), its largest probability.
   */
  private record Distributions(double[][][] p, double[][] confidence) {}

  /**
   * How row i draws a token from p_theta: from its nucleus, restricted with the UTF-8 constraint to
   * the tokens that keep its text valid. When the constraint leaves none of the nucleus, the
   * nucleus is taken again from the allowed part of p_theta.
   */
  private DenoisingRule.TokenDraw draw(int i) {
    Row row = rows.get(i);
    double nucleus = row.request.config.nucleus();
    if (!row.request.config.validUtf8()) {
      return (x, j, p, random) -> Nucleus.draw(Nucleus.filter(p, nucleus), random);
    }
    int start = row.blockStart;
    return (x, j, p, random) -> {
      boolean[] ok = automaton.allowed(start, x, j);
      double[] q = restricted(Nucleus.filter(p, nucleus), ok);
      if (q == null) {
        double[] all = restricted(p, ok);
        q = all == null ? restricted(ok) : Nucleus.filter(all, nucleus);
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
  private Distributions probabilities(int[][] x, boolean store) {
    int v = model.config().vocabSize();
    double[] flat;
    try (NDManager step = manager.newSubManager()) {
      NDArray logits =
          !useCache ? recomputed(x, step) : store ? storeAndEvaluate(x, step) : evaluate(x, step);
      NDArray scaled = logits.toType(DataType.FLOAT64, false);
      double[] temperature = new double[x.length];
      boolean scale = false;
      for (int i = 0; i < x.length; i++) {
        double t = rows.get(i).request.config.temperature();
        temperature[i] = t > 0 ? t : 1; // at 0 the nucleus keeps the most likely id
        scale |= temperature[i] != 1;
      }
      if (scale) {
        scaled = scaled.div(step.create(temperature, new Shape(x.length, 1, 1)));
      }
      flat = scaled.softmax(-1).toDoubleArray(); // (N, L', V)
    }
    // only masked positions are ever drawn from, and the masked set only shrinks while p is reused
    double[][][] p = new double[x.length][lb][];
    double[][] confidence = new double[x.length][lb];
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < lb; j++) {
        if (x[i][j] == mask) {
          p[i][j] = Arrays.copyOfRange(flat, (i * lb + j) * v, (i * lb + j + 1) * v);
          confidence[i][j] = Nucleus.max(p[i][j]);
        }
      }
    }
    return new Distributions(p, confidence);
  }

  /** The logits of x (N, L', V) at the positions after the cache. */
  private NDArray evaluate(int[][] x, NDManager step) {
    int s = cache.length();
    return forward
        .run(tokens(step, x), positions(step, s, lb), cache, attention(step, lb, false))
        .logits();
  }

  /**
   * One pass over [finished ; x] (N, 2L'), the finished blocks at the positions before x: their
   * keys and values go into the cache and the logits of x (N, L', V) come back. The block-causal
   * mask keeps the finished block from seeing x, so its keys and values are those a pass of its own
   * would give. A row without a finished block (its prompt had no complete block) fills the place
   * with MASK tokens that its x does not see and the cache keeps as unused slots.
   */
  private NDArray storeAndEvaluate(int[][] x, NDManager step) {
    int[][] pairs = new int[x.length][];
    for (int i = 0; i < x.length; i++) {
      int[] finished = rows.get(i).unstored;
      pairs[i] = new int[2 * lb];
      if (finished == null) {
        Arrays.fill(pairs[i], 0, lb, mask);
      } else {
        System.arraycopy(finished, 0, pairs[i], 0, lb);
      }
      System.arraycopy(x[i], 0, pairs[i], lb, lb);
    }
    int s = cache.length();
    Bd3Lm.Output out =
        forward.run(
            tokens(step, pairs), positions(step, s, 2 * lb), cache, attention(step, 2 * lb, true));
    List<LayerKv> stored = new ArrayList<>();
    for (LayerKv kv : out.kv()) {
      stored.add(new LayerKv(kv.keys().get(":, :, :" + lb), kv.values().get(":, :, :" + lb)));
    }
    cache.append(stored);
    for (Row row : rows) {
      row.valid += row.unstored == null ? 0 : lb; // a row without one has an unused slot there
    }
    return out.logits().get(":, " + lb + ":");
  }

  /**
   * The additive attention mask of a pass of t tokens after the cache: (t, S + t) while every row
   * uses every slot and has a finished block, else (N, 1, t, S + t), a row seeing only its own
   * slots. Within the t tokens: [finished ; x] under the block-causal mask ({@code pair}), or x
   * seeing all of x; null when nothing is masked.
   */
  private NDArray attention(NDManager step, int t, boolean pair) {
    int s = cache.length();
    boolean ragged = rows.stream().anyMatch(row -> row.valid < s || (pair && row.unstored == null));
    if (!ragged && !pair) {
      return null;
    }
    boolean[] blocks = pair ? BlockDiffusionMask.blockCausal(t, lb) : null;
    int width = s + t;
    int n = ragged ? rows.size() : 1;
    boolean[] allowed = new boolean[n * t * width];
    for (int i = 0; i < n; i++) {
      Row row = rows.get(i);
      for (int q = 0; q < t; q++) {
        int at = (i * t + q) * width;
        Arrays.fill(allowed, at + s - (ragged ? row.valid : s), at + s, true); // its cache
        for (int k = 0; k < t; k++) {
          boolean hole = ragged && pair && row.unstored == null && q >= lb && k < lb;
          allowed[at + s + k] = (blocks == null || blocks[q * t + k]) && !hole;
        }
      }
    }
    NDArray additive = Attention.additiveMask(step, allowed, n * t, width);
    return ragged ? additive.reshape(n, 1, t, width) : additive;
  }

  /** Every row's whole prefix and x under the block-causal mask, recomputed: the reference. */
  private NDArray recomputed(int[][] x, NDManager step) {
    int[][] all = new int[x.length][];
    for (int i = 0; i < x.length; i++) {
      Row row = rows.get(i);
      // MDLM's window holds its context itself; the others attend to the whole prefix
      int[] prior = mdlm ? new int[0] : row.request.tokens(row.sample);
      all[i] = Arrays.copyOf(prior, prior.length + lb);
      System.arraycopy(x[i], 0, all[i], prior.length, lb);
    }
    int length = all[0].length;
    return forward
        .run(tokens(step, all), positions(step, 0, length), null, blockCausal(step, length))
        .logits()
        .get(":, " + (length - lb) + ":");
  }

  /** A forward pass without gradients: the eager one or the model's scripted one. */
  @FunctionalInterface
  private interface Forward {
    Bd3Lm.Output run(NDArray tokens, NDArray positions, KvCache cache, NDArray mask);
  }

  private NDArray blockCausal(NDManager m, int length) {
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
      if (anyMasked(row)) {
        return true;
      }
    }
    return false;
  }

  private boolean anyMasked(int[] block) {
    for (int id : block) {
      if (id == mask) {
        return true;
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

  /** One sample of one request, a row of the batch. */
  private final class Row {
    final Request request;
    final int sample;
    int[] unstored; // its last finished block, not yet in the cache (null: none)
    int valid; // the cache's last slots that are its own
    boolean first = true; // its first block, which begins with the prompt's last tokens
    int blockStart; // the UTF-8 automaton's state where its block x begins

    Row(Request request, int sample, int[] unstored, int valid) {
      this.request = request;
      this.sample = sample;
      this.unstored = unstored;
      this.valid = valid;
    }

    /** Notes where its block begins: {@code overlap} committed tokens before its end. */
    void startBlock(int overlap) {
      blockStart =
          overlap == 0
              ? request.utf8[sample]
              : automaton.after(
                  Utf8Constraint.BOUNDARY,
                  request.sequences.get(sample),
                  0,
                  request.lengths[sample] - overlap);
    }

    /**
     * Appends its finished block (but the first {@code overlap} tokens, committed already), tells
     * the listener, applies the stop rules; returns whether the sample goes on. A listener that
     * throws fails the request.
     */
    boolean finishBlock(int[] x, int overlap) {
      int start = request.lengths[sample];
      request.append(sample, Arrays.copyOfRange(x, overlap, x.length));
      StopReason stop = request.stopRule(sample, start);
      int from = Math.min(Math.max(start, request.promptLength), request.lengths[sample]);
      try {
        request.listener.onBlock(
            sample,
            request.blocks[sample]++,
            Arrays.copyOfRange(request.sequences.get(sample), from, request.lengths[sample]));
      } catch (RuntimeException e) {
        request.completion.completeExceptionally(e);
        return false;
      }
      if (stop != null) {
        request.stops[sample] = stop;
        request.live--;
        return false;
      }
      return true;
    }
  }

  /** A request's samples: what they hold, how they are drawn, and its result once done. */
  public final class Request {
    private final int n;
    private final int[] prefix;
    private final SamplerConfig config;
    private final DenoisingRule rule;
    private final SplittableRandom random;
    private final BlockSampler.Listener listener;
    private final BooleanSupplier cancelled;
    private final int settled; // prefix tokens done before the first block
    private final int[] fixed; // committed tokens the first block begins with
    private final int promptLength;
    private final int promptUtf8; // the UTF-8 automaton's state after the prompt
    private final List<int[]> sequences = new ArrayList<>();
    private final int[] lengths;
    private final int[] nfe;
    private final int[] utf8; // the automaton's state after each sample's finished text
    private final int[] blocks;
    private final StopReason[] stops;
    private int live;
    private int passes;
    private long batchSum; // requests in each of its passes, summed
    private final CompletableFuture<BlockSampler.Result> completion = new CompletableFuture<>();

    private Request(
        int n,
        int[] prefix,
        SamplerConfig config,
        BlockSampler.Listener listener,
        BooleanSupplier cancelled) {
      this.n = n;
      this.prefix = prefix;
      this.config = config;
      this.rule = DenoisingRule.of(config, mask);
      this.random = new SplittableRandom(config.seed());
      this.listener = listener;
      this.cancelled = cancelled;
      // MDLM slides a window of L tokens, half context, half new (the reference's semi-AR sampler)
      int context = mdlm ? Math.min(prefix.length, l / 2) : 0;
      this.settled = mdlm ? prefix.length - context : prefix.length / lb * lb;
      this.fixed = Arrays.copyOfRange(prefix, settled, prefix.length);
      this.promptLength = prefix.length;
      this.promptUtf8 = automaton.after(Utf8Constraint.BOUNDARY, prefix, 0, prefix.length);
      this.lengths = new int[n];
      this.nfe = new int[n];
      this.utf8 = new int[n];
      this.blocks = new int[n];
      this.stops = new StopReason[n];
      this.live = n;
      for (int i = 0; i < n; i++) {
        sequences.add(Arrays.copyOf(prefix, Math.max(16, prefix.length * 2)));
        lengths[i] = settled;
        utf8[i] = automaton.after(Utf8Constraint.BOUNDARY, prefix, 0, settled);
      }
    }

    /** Completes with the samples once they have all stopped, failed or been cancelled. */
    public CompletableFuture<BlockSampler.Result> completion() {
      return completion;
    }

    private boolean cancelled() {
      try {
        return cancelled.getAsBoolean();
      } catch (RuntimeException e) {
        completion.completeExceptionally(e);
        return true;
      }
    }

    private void complete() {
      completion.complete(
          new BlockSampler.Result(samples(), passes, passes == 0 ? 0 : (double) batchSum / passes));
    }

    private int[] tokens(int sample) {
      return Arrays.copyOf(sequences.get(sample), lengths[sample]);
    }

    /** The last {@code count} committed tokens of a sample. */
    private int[] last(int sample, int count) {
      return Arrays.copyOfRange(sequences.get(sample), lengths[sample] - count, lengths[sample]);
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

    private List<GeneratedSample> samples() {
      List<GeneratedSample> out = new ArrayList<>();
      for (int i = 0; i < n; i++) {
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
