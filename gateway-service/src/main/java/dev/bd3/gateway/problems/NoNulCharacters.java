package dev.bd3.gateway.problems;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.UriInfo;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * PostgreSQL cannot store the NUL character (U+0000) in text or JSON, so a value holding one would
 * fail deep inside a query: it is refused at the door instead, as a 400 naming where it was, in the
 * path and query parameters (this filter) and in JSON bodies ({@link #check(JsonNode, String)}).
 */
public class NoNulCharacters {
  static final String MESSAGE = "must not contain the NUL character (U+0000)";

  @ServerRequestFilter
  public void parameters(UriInfo uri) {
    check(uri.getPathParameters());
    check(uri.getQueryParameters());
  }

  private static void check(MultivaluedMap<String, String> parameters) {
    for (Map.Entry<String, List<String>> p : parameters.entrySet()) {
      if (p.getKey().indexOf('\0') >= 0
          || p.getValue().stream().anyMatch(v -> v.indexOf('\0') >= 0)) {
        throw ProblemException.invalid(p.getKey().replace('\0', '?'), MESSAGE);
      }
    }
  }

  /** A 400 naming the first field ({@code prefix}.a.b[2]) whose name or text holds NUL. */
  static void check(JsonNode node, String path) {
    if (node.isTextual() && node.textValue().indexOf('\0') >= 0) {
      throw ProblemException.invalid(path.isEmpty() ? "body" : path, MESSAGE);
    }
    if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        check(node.get(i), path + "[" + i + "]");
      }
    }
    for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
      Map.Entry<String, JsonNode> field = fields.next();
      String at = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
      if (field.getKey().indexOf('\0') >= 0) {
        throw ProblemException.invalid(at.replace('\0', '?'), MESSAGE);
      }
      check(field.getValue(), at);
    }
  }
}
