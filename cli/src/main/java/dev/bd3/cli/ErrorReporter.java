package dev.bd3.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns what went wrong while a command ran into a readable message on stderr and exit code 1: an
 * RFC 7807 problem as its title, detail and fields; an unreachable API as where it was looked for.
 */
final class ErrorReporter implements IExecutionExceptionHandler {

  @Override
  public int handleExecutionException(
      Exception e, CommandLine commandLine, ParseResult parseResult) {
    PrintWriter err = commandLine.getErr();
    if (e instanceof Bd3Client.ApiException api) {
      err.print(describe(api.status(), api.problem()));
      if (api.status() == 401) {
        err.println("bd3: sign in with a key: BD3_API_KEY, or --key-file / BD3_API_KEY_FILE");
      }
    } else {
      err.println("bd3: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
    }
    err.flush();
    return 1;
  }

  /**
   * A problem body as lines: {@code bd3: Title (status): detail}, then one {@code field: message}
   * line per field at fault. A body that is not a problem is shown as it came.
   */
  static String describe(int status, JsonNode problem) {
    StringBuilder text = new StringBuilder("bd3: ");
    if (!problem.isObject()) {
      text.append("HTTP ").append(status);
      if (!problem.isNull()) {
        text.append(": ").append(problem.isTextual() ? problem.asText() : problem.toString());
      }
      return text.append(System.lineSeparator()).toString();
    }
    if (problem.path("error").isObject()) { // the OpenAI-compatible API's shape
      JsonNode error = problem.path("error");
      text.append("HTTP ").append(status).append(": ").append(error.path("message").asText(""));
      if (error.hasNonNull("param")) {
        text.append(" (").append(error.path("param").asText()).append(')');
      }
      return text.append(System.lineSeparator()).toString();
    }
    text.append(problem.path("title").asText("HTTP " + status)).append(" (").append(status);
    text.append(')');
    String detail = problem.path("detail").asText("");
    if (!detail.isEmpty()) {
      text.append(": ").append(detail);
    }
    text.append(System.lineSeparator());
    for (JsonNode error : problem.path("errors")) {
      text.append("  ")
          .append(error.path("field").asText("?"))
          .append(": ")
          .append(error.path("message").asText(""))
          .append(System.lineSeparator());
    }
    return text.toString();
  }
}
