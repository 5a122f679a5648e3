package dev.bd3.cli;

import static dev.bd3.cli.FakeGateway.view;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressBarTest {

  @Test
  void lineShowsBarStepsPercentEtaAndStatus() {
    assertEquals(
        "[###############...............] 150/300  50%  ETA 1m01s  RUNNING",
        ProgressBar.line(view("r", "train", "RUNNING", 150, 300)));
    ObjectNode noEta = view("r", "train", "RUNNING", 0, 300);
    ((ObjectNode) noEta.get("progress")).putNull("etaSeconds");
    assertEquals("[..............................] 0/300   0%  RUNNING", ProgressBar.line(noEta));
    ObjectNode queued = view("r", "train", "QUEUED", 0, 0);
    queued.putNull("progress");
    assertEquals("QUEUED", ProgressBar.line(queued));
  }

  @Test
  void durations() {
    assertEquals("0s", ProgressBar.duration(0.2));
    assertEquals("59s", ProgressBar.duration(59));
    assertEquals("4m05s", ProgressBar.duration(245));
    assertEquals("2h03m", ProgressBar.duration(7380));
  }

  @Test
  void onATerminalTheLineIsRedrawnInPlace() {
    StringWriter text = new StringWriter();
    ProgressBar bar = new ProgressBar(new PrintWriter(text), true);
    bar.show(view("r", "train", "RUNNING", 10, 100));
    bar.show(view("r", "train", "SUCCEEDED", 100, 100));
    bar.finish();
    String first = "[###...........................] 10/100  10%  ETA 1m01s  RUNNING";
    String last = "[##############################] 100/100 100%  SUCCEEDED";
    assertEquals(
        "\r" + first + "\r" + last + " ".repeat(first.length() - last.length()) + "\n",
        text.toString());
  }

  @Test
  void elsewhereOneLinePerChangeOfStepOrStatus() {
    StringWriter text = new StringWriter();
    ProgressBar bar = new ProgressBar(new PrintWriter(text), false);
    ObjectNode running = view("r", "train", "RUNNING", 10, 100);
    bar.show(running);
    ((ObjectNode) running.get("progress")).put("etaSeconds", 30.0); // only the ETA changed
    bar.show(running);
    bar.show(view("r", "train", "RUNNING", 20, 100));
    bar.finish();
    assertEquals(2, text.toString().split("\n").length, text.toString());
  }
}
