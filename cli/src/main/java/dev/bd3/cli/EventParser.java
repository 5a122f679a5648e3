package dev.bd3.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads a {@code text/event-stream} line by line (the WHATWG rules, less {@code id} and {@code
 * retry}, which a stream that ends with its run does not need) and hands on each complete event.
 */
final class EventParser {
  private final Consumer<Bd3Client.Event> onEvent;
  private String name;
  private final List<String> data = new ArrayList<>();

  EventParser(Consumer<Bd3Client.Event> onEvent) {
    this.onEvent = onEvent;
  }

  void line(String line) {
    if (line.isEmpty()) {
      dispatch();
      return;
    }
    if (line.startsWith(":")) {
      return; // a comment: keep-alive
    }
    int colon = line.indexOf(':');
    String field = colon < 0 ? line : line.substring(0, colon);
    String value = colon < 0 ? "" : line.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    switch (field) {
      case "event" -> name = value;
      case "data" -> data.add(value);
      default -> {} // id, retry and unknown fields
    }
  }

  /** The stream ended: an event not closed by a blank line still counts. */
  void end() {
    dispatch();
  }

  private void dispatch() {
    if (!data.isEmpty()) {
      onEvent.accept(
          new Bd3Client.Event(
              name == null || name.isEmpty() ? "message" : name, String.join("\n", data)));
    }
    name = null;
    data.clear();
  }
}
