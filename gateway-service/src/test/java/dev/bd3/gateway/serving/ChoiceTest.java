package dev.bd3.gateway.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.jobs.JobEvent;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A choice built from its sample's events: stop sequences, text held back, blocks seen twice. */
class ChoiceTest {

  @Test
  void textThatMayBeginAStopSequenceIsHeldBackUntilItCannot() {
    Choice c = new Choice(0, List.of("END", "\n\n"));
    c.block(new JobEvent.Block(0, 0, "one E"));
    assertEquals("one ", c.unsent(), "'E' may begin END");
    c.block(new JobEvent.Block(0, 1, "Nx two\n"));
    assertEquals("ENx two", c.unsent(), "'EN' went on otherwise; the newline may begin a stop");
    c.block(new JobEvent.Block(0, 2, "three"));
    assertEquals("\nthree", c.unsent());
    c.block(new JobEvent.Block(0, 3, " END rest"));
    assertTrue(c.finished());
    assertEquals("stop", c.finishReason());
    assertEquals(" ", c.unsent(), "cut before the stop sequence");
    assertEquals("one ENx two\nthree ", c.text());
    c.block(new JobEvent.Block(0, 4, "more"));
    c.sample(new JobEvent.Sample(0, "one ENx two\nthree END rest more", 30, 12, "max-length", 2));
    assertEquals("one ENx two\nthree ", c.text(), "nothing after the stop");
    assertEquals("stop", c.finishReason());
    assertEquals(30, c.tokens());
    assertEquals(4, c.blocks());
  }

  @Test
  void aJobTakenUpAgainRepeatsNoBlock() {
    Choice c = new Choice(0, List.of());
    c.block(new JobEvent.Block(0, 0, "ab"));
    c.block(new JobEvent.Block(0, 1, "cd"));
    assertEquals("abcd", c.unsent());
    c.block(new JobEvent.Block(0, 0, "ab")); // the second attempt starts over
    c.block(new JobEvent.Block(0, 1, "cd"));
    c.block(new JobEvent.Block(0, 2, "ef"));
    assertEquals("ef", c.unsent());
    assertFalse(c.finished());
    c.sample(new JobEvent.Sample(0, "abcdef", 6, 3, "max-length", 2));
    assertEquals("length", c.finishReason());
    assertEquals("abcdef", c.text());
    assertEquals("", c.unsent());
    assertTrue(c.finishToTell());
    assertFalse(c.finishToTell(), "told once");
  }

  @Test
  void eosIsAStop() {
    Choice c = new Choice(1, List.of());
    c.sample(new JobEvent.Sample(0, "done", 2, 2, "eos", 1));
    assertEquals("stop", c.finishReason());
    assertEquals("done", c.unsent());
  }
}
