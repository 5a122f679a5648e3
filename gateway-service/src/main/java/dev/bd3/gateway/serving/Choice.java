package dev.bd3.gateway.serving;

import dev.bd3.jobs.JobEvent;
import java.util.List;

/**
 * One choice of a completion as its sample's events build it: text that may be sent (never a part
 * that could begin a stop sequence), the text held back, and how it ended.
 */
final class Choice {
  private final int index;
  private final List<String> stops;
  private final StringBuilder text = new StringBuilder();
  private int sent; // characters of text already given to the client
  private String finishReason;
  private boolean finishSent;
  private int tokens;
  private int modelCalls;
  private int blocks;
  private int lastBlock = -1;

  Choice(int index, List<String> stops) {
    this.index = index;
    this.stops = stops;
  }

  int index() {
    return index;
  }

  boolean finished() {
    return finishReason != null;
  }

  String finishReason() {
    return finishReason;
  }

  int tokens() {
    return tokens;
  }

  int modelCalls() {
    return modelCalls;
  }

  int blocks() {
    return blocks;
  }

  /** The whole text, cut at the first stop sequence. */
  String text() {
    return text.toString();
  }

  /**
   * A committed block's text; ignored once the choice has ended at a stop sequence, and when it is
   * a block already seen (a job taken up again starts over, and its seed gives the same blocks).
   */
  void block(JobEvent.Block block) {
    if (!finished() && block.block() > lastBlock) {
      lastBlock = block.block();
      blocks++;
      append(block.text());
    }
  }

  /**
   * The finished sample: its text replaces what the blocks gave (they are the same text unless a
   * block event was lost), and it ends the choice: at a stop sequence or EOS "stop", at the length
   * limit "length".
   */
  void sample(JobEvent.Sample sample) {
    tokens = sample.tokens();
    modelCalls = sample.nfe();
    if (finished()) {
      return; // ended at a stop sequence
    }
    text.setLength(0);
    append(sample.text());
    if (!finished()) {
      finishReason = "max-length".equals(sample.stopReason()) ? "length" : "stop";
    }
  }

  /** True once, when the choice has ended and its end is yet to be told. */
  boolean finishToTell() {
    if (finished() && !finishSent) {
      finishSent = true;
      return true;
    }
    return false;
  }

  /** The text not yet sent that may be sent now; it counts as sent. */
  String unsent() {
    int safe = finished() ? text.length() : text.length() - heldBack();
    String out = text.substring(Math.min(sent, safe), Math.max(sent, safe));
    sent = Math.max(sent, safe);
    return out;
  }

  private void append(String more) {
    text.append(more);
    int cut = -1;
    for (String stop : stops) {
      int at = text.indexOf(stop);
      if (at >= 0 && (cut < 0 || at < cut)) {
        cut = at;
      }
    }
    if (cut >= 0) {
      text.setLength(cut);
      finishReason = "stop";
    }
  }

  /** Characters at the end of the text that could begin a stop sequence. */
  private int heldBack() {
    int held = 0;
    for (String stop : stops) {
      for (int k = Math.min(stop.length() - 1, text.length()); k > held; k--) {
        if (text.substring(text.length() - k).equals(stop.substring(0, k))) {
          held = k;
          break;
        }
      }
    }
    return held;
  }
}
