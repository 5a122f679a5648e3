package dev.bd3.model.sample;

import dev.bd3.model.data.Tokenizer;
import dev.bd3.model.spec.Vocabulary;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Valid UTF-8 by construction. The automaton of well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) tells which tokens may stand at a position of a block given
 * the state after the committed text and the block's other positions: its fixed tokens, and masked
 * ones that may still become anything. A token moves the automaton by all its bytes (one for the
 * byte tokenizer; a BPE token may end inside a character, leaving continuation bytes to come). A
 * token is allowed where some completion of the block stays well formed; special tokens (EOS, BOS,
 * PAD) only between characters. Drawing the positions of a block one after another under this rule,
 * in any order, never leaves a dead end.
 */
final class Utf8Constraint {
  /** Between characters. */
  static final int BOUNDARY = 0;

  private static final int DEAD = -1;
  private static final int STATES = 8;
  private static final Map<Vocabulary, Utf8Constraint> BUILT = new ConcurrentHashMap<>();

  private final int mask;
  // 1..3: that many continuation bytes to go; 4..7: after E0, ED, F0, F4 (a narrower second byte)
  private final int[][] next;
  private final int[] any = new int[STATES]; // states reachable by some token, as bits

  private Utf8Constraint(Tokenizer tokenizer) {
    mask = tokenizer.mask();
    next = new int[STATES][tokenizer.vocabSize()];
    for (int c = 0; c < tokenizer.vocabSize(); c++) {
      byte[] bytes = tokenizer.bytes(c);
      for (int s = 0; s < STATES; s++) {
        next[s][c] = transition(s, c, bytes);
        if (next[s][c] != DEAD) {
          any[s] |= 1 << next[s][c];
        }
      }
    }
  }

  /** The automaton over a tokenizer's ids, built once. */
  static Utf8Constraint of(Tokenizer tokenizer) {
    return BUILT.computeIfAbsent(tokenizer.vocabulary(), v -> new Utf8Constraint(tokenizer));
  }

  private int transition(int state, int token, byte[] bytes) {
    if (bytes.length == 0) { // a special id
      return state == BOUNDARY && token != mask ? BOUNDARY : DEAD;
    }
    for (byte b : bytes) {
      state = byteTransition(state, b & 0xff);
      if (state == DEAD) {
        return DEAD;
      }
    }
    return state;
  }

  private static int byteTransition(int state, int token) {
    boolean continuation = token >= 0x80 && token <= 0xBF;
    return switch (state) {
      case BOUNDARY -> lead(token);
      case 1, 2, 3 -> continuation ? state - 1 : DEAD;
      case 4 -> token >= 0xA0 && token <= 0xBF ? 1 : DEAD;
      case 5 -> token >= 0x80 && token <= 0x9F ? 1 : DEAD;
      case 6 -> token >= 0x90 && token <= 0xBF ? 2 : DEAD;
      default -> token >= 0x80 && token <= 0x8F ? 2 : DEAD; // after F4
    };
  }

  private static int lead(int b) {
    if (b < 0x80) {
      return BOUNDARY;
    } else if (b >= 0xC2 && b <= 0xDF) {
      return 1;
    } else if (b == 0xE0) {
      return 4;
    } else if (b == 0xED) {
      return 5;
    } else if (b >= 0xE1 && b <= 0xEF) {
      return 2;
    } else if (b == 0xF0) {
      return 6;
    } else if (b >= 0xF1 && b <= 0xF3) {
      return 3;
    } else if (b == 0xF4) {
      return 7;
    }
    return DEAD; // continuation bytes, C0, C1, F5..FF
  }

  /** The state after {@code tokens}; text that is not UTF-8 (a prompt) restarts at a boundary. */
  int after(int state, int[] tokens, int from, int to) {
    for (int i = from; i < to; i++) {
      int n = next[state][tokens[i]];
      state = n == DEAD ? next[BOUNDARY][tokens[i]] : n;
      state = state == DEAD ? BOUNDARY : state;
    }
    return state;
  }

  /** Whether the text ends between characters. */
  static boolean complete(int state) {
    return state == BOUNDARY;
  }

  /**
   * The tokens allowed at position j of block x entered in state {@code start}: positions holding
   * MASK (or -1, chosen but not yet drawn) may become any token; what follows the block is free.
   */
  boolean[] allowed(int start, int[] x, int j) {
    int reach = 1 << start;
    for (int i = 0; i < j; i++) {
      reach = forward(reach, x[i]);
    }
    int live = (1 << STATES) - 1; // states from which the rest of the block can be completed
    for (int i = x.length - 1; i > j; i--) {
      live = backward(live, x[i]);
    }
    boolean[] ok = new boolean[next[0].length];
    for (int s = 0; s < STATES; s++) {
      if ((reach & 1 << s) != 0) {
        for (int c = 0; c < ok.length; c++) {
          ok[c] |= next[s][c] != DEAD && (live & 1 << next[s][c]) != 0;
        }
      }
    }
    return ok;
  }

  private boolean free(int token) {
    return token == mask || token < 0;
  }

  private int forward(int reach, int token) {
    int out = 0;
    for (int s = 0; s < STATES; s++) {
      if ((reach & 1 << s) != 0) {
        out |= free(token) ? any[s] : next[s][token] == DEAD ? 0 : 1 << next[s][token];
      }
    }
    return out;
  }

  private int backward(int live, int token) {
    int out = 0;
    for (int s = 0; s < STATES; s++) {
      boolean ok =
          free(token)
              ? (any[s] & live) != 0
              : next[s][token] != DEAD && (live & 1 << next[s][token]) != 0;
      out |= ok ? 1 << s : 0;
    }
    return out;
  }
}
