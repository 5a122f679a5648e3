package dev.bd3.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.testsupport.LocalStack;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API document the gateway serves ({@code /q/openapi}), through Redocly's linter from the npm
 * registry ({@code deploy/validate}) under its recommended rules, every warning an error ({@code
 * deploy/validate/redocly.yaml}): what code generators and documentation tools read must pass them.
 * Runs wherever npm is (a Maven profile installs the linter).
 */
@ExtendWith(SharedSuite.class)
class ApiDocumentLintTest {
  private static final Path CHECKERS = LocalStack.root().resolve("deploy/validate");

  record Output(int exitCode, String out) {}

  @Test
  void theServedDocumentPassesTheRecommendedRules(Suite suite, @TempDir Path dir) throws Exception {
    HttpResponse<String> served =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(suite.api() + "/q/openapi?format=json")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, served.statusCode());
    Output linted = lint(Files.writeString(dir.resolve("openapi.json"), served.body()));
    assertEquals(0, linted.exitCode(), linted.out());
    assertTrue(linted.out().contains("Your API description is valid"), linted.out());
  }

  /** The linter finds what is wrong: here an operation without an id and a 2xx answer. */
  @Test
  void theLinterRefusesAnOperationWithoutAnIdOrSuccess(@TempDir Path dir) throws Exception {
    Path bad =
        Files.writeString(
            dir.resolve("bad.json"),
            """
            {"openapi": "3.1.0",
             "info": {"title": "t", "version": "1", "license": {"name": "MIT", "url": "https://opensource.org/license/mit"}},
             "servers": [{"url": "/"}],
             "security": [],
             "paths": {"/x": {"get": {"summary": "x", "responses": {"404": {"description": "no"}}}}}}
            """);
    Output linted = lint(bad);
    assertNotEquals(0, linted.exitCode(), linted.out());
    assertTrue(linted.out().contains("operation-operationId"), linted.out());
    assertTrue(linted.out().contains("operation-2xx-response"), linted.out());
  }

  private static Output lint(Path document) throws Exception {
    ProcessBuilder command =
        new ProcessBuilder(
                CHECKERS.resolve("node_modules/.bin/redocly").toString(),
                "lint",
                "--config",
                CHECKERS.resolve("redocly.yaml").toString(),
                document.toString())
            .directory(CHECKERS.toFile())
            .redirectErrorStream(true);
    command.environment().put("FORCE_COLOR", "0");
    command.environment().put("REDOCLY_TELEMETRY", "off"); // offline: nothing is sent anywhere
    command.environment().put("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true");
    Process process = command.start();
    process.getOutputStream().close();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Output(process.waitFor(), out);
  }
}
