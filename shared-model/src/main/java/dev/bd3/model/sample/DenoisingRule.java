package dev.bd3.model.sample;

import java.util.SplittableRandom;

/**
 * How one denoising step turns masked positions of a block into tokens, given p_theta at every
 * position. Unmasked positions never change.
 */
interface DenoisingRule {

  /** Steps to plan for a block of L' tokens (the loop also ends once nothing is masked). */
  int steps(int blockSize);

  /**
   * Updates block x in place at step k, drawing the token of a position j it unmasks through {@code
   * draw} from p[j], p_theta there; {@code confidence[j]} is its largest probability. Returns
   * whether anything changed.
   */
  boolean step(
      int[] x, double[][] p, double[] confidence, int k, SplittableRandom random, TokenDraw draw);

  /** How a chosen position gets its token. */
  interface TokenDraw {
    /** A token for position j of block x, from p (p_theta there; a draw may filter it). */
    int draw(int[] x, int j, double[] p, SplittableRandom random);
  }

  /** The rule of a sampler configuration, for a model whose MASK id is {@code mask}. */
  static DenoisingRule of(SamplerConfig c, int mask) {
    return switch (c.rule()) {
      case DDPM -> new Ddpm(c.steps(), mask);
      case FIRST_HITTING -> new FirstHitting(mask);
      case PARALLEL -> new Parallel(c.tokensPerStep(), mask);
      case THRESHOLD -> new Threshold(c.confidence(), mask);
    };
  }

  /**
   * DDPM posterior on the time grid t_k = 1 - k / T: from t to s a masked token stays masked with
   * probability s / t, else takes a token drawn from p_theta; at s = 0 nothing stays masked.
   */
  record Ddpm(int total, int mask) implements DenoisingRule {
    @Override
    public int steps(int blockSize) {
      return total;
    }

    @Override
    public boolean step(
        int[] x,
        double[][] p,
        double[] confidence,
        int k,
        SplittableRandom random,
        TokenDraw draw) {
      double t = 1 - (double) k / total;
      double s = 1 - (double) (k + 1) / total;
      boolean changed = false;
      for (int j = 0; j < x.length; j++) {
        if (x[j] == mask && (s <= 0 || random.nextDouble() >= s / t)) {
          x[j] = draw.draw(x, j, p[j], random);
          changed = true;
        }
      }
      return changed;
    }
  }

  /** One uniformly chosen masked position per step. */
  record FirstHitting(int mask) implements DenoisingRule {
    @Override
    public int steps(int blockSize) {
      return blockSize;
    }

    @Override
    public boolean step(
        int[] x,
        double[][] p,
        double[] confidence,
        int k,
        SplittableRandom random,
        TokenDraw draw) {
      int masked = 0;
      for (int id : x) {
        masked += id == mask ? 1 : 0;
      }
      if (masked == 0) {
        return false;
      }
      int pick = random.nextInt(masked);
      for (int j = 0; j < x.length; j++) {
        if (x[j] == mask && pick-- == 0) {
          x[j] = draw.draw(x, j, p[j], random);
          break;
        }
      }
      return true;
    }
  }

  /**
   * Fast-dLLM's confidence threshold: every masked position whose p_theta gives its most likely
   * token at least {@code tau}, and the most confident one when none does, drawn together. A sure
   * block takes one step; an unsure one takes up to L', one position at a time.
   */
  record Threshold(double tau, int mask) implements DenoisingRule {
    @Override
    public int steps(int blockSize) {
      return blockSize;
    }

    @Override
    public boolean step(
        int[] x,
        double[][] p,
        double[] confidence,
        int k,
        SplittableRandom random,
        TokenDraw draw) {
      int best = -1;
      boolean sure = false;
      for (int j = 0; j < x.length; j++) {
        if (x[j] != mask) {
          continue;
        }
        if (confidence[j] >= tau) {
          x[j] = CHOSEN;
          sure = true;
        } else if (best < 0 || confidence[j] > confidence[best]) {
          best = j;
        }
      }
      if (!sure && best < 0) {
        return false;
      }
      if (!sure) {
        x[best] = CHOSEN;
      }
      drawChosen(x, p, random, draw);
      return true;
    }
  }

  /** Marks a position chosen this step, before its token is drawn. */
  int CHOSEN = -1;

  /** Draws the tokens of the chosen positions, in position order. */
  private static void drawChosen(int[] x, double[][] p, SplittableRandom random, TokenDraw draw) {
    for (int j = 0; j < x.length; j++) {
      if (x[j] == CHOSEN) {
        x[j] = draw.draw(x, j, p[j], random);
      }
    }
  }

  /** The {@code perStep} masked positions of the largest confidence, drawn together. */
  record Parallel(int perStep, int mask) implements DenoisingRule {
    @Override
    public int steps(int blockSize) {
      return (blockSize + perStep - 1) / perStep;
    }

    @Override
    public boolean step(
        int[] x,
        double[][] p,
        double[] confidence,
        int k,
        SplittableRandom random,
        TokenDraw draw) {
      boolean changed = false;
      for (int n = 0; n < perStep; n++) {
        int best = -1;
        for (int j = 0; j < x.length; j++) {
          if (x[j] == mask && (best < 0 || confidence[j] > confidence[best])) {
            best = j;
          }
        }
        if (best < 0) {
          break;
        }
        x[best] = CHOSEN;
        changed = true;
      }
      drawChosen(x, p, random, draw);
      return changed;
    }
  }
}
