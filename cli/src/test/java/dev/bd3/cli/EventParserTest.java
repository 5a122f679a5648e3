package dev.bd3.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventParserTest {

  @Test
  void namedUnnamedMultiLineCommentsAndAnUnclosedLastEvent() {
    List<Bd3Client.Event> events = new ArrayList<>();
    EventParser parser = new EventParser(events::add);
    for (String line :
        List.of(
            ": ping",
            "",
            "event: run",
            "data: {\"a\":1}",
            "",
            "data:x",
            "data: y",
            "id: 7",
            "",
            "event: empty",
            "",
            "event:last",
            "data: z")) {
      parser.line(line);
    }
    parser.end();
    assertEquals(
        List.of(
            new Bd3Client.Event("run", "{\"a\":1}"),
            new Bd3Client.Event("message", "x\ny"),
            new Bd3Client.Event("last", "z")),
        events);
  }
}
