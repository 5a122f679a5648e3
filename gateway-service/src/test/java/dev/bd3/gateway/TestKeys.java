package dev.bd3.gateway;

import static io.restassured.RestAssured.given;

import io.restassured.RestAssured;
import io.restassured.builder.RequestSpecBuilder;
import io.restassured.http.ContentType;
import io.restassured.http.Header;
import io.restassured.response.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The tests' keys: the first admin key, which the gateway writes to {@code target/admin-key} (the
 * test profile's {@code bd3.gateway.auth.admin-key-file}), and keys made from it through the API.
 */
final class TestKeys {
  private TestKeys() {}

  private static String admin;

  /** Read once: the gateway writes the file at its first start and keeps it. */
  static synchronized String admin() {
    if (admin == null) {
      try {
        admin = Files.readString(Path.of("target/admin-key")).strip();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return admin;
  }

  static Header bearer(String key) {
    return new Header("Authorization", "Bearer " + key);
  }

  /** Every RestAssured request of the test class signs in as the admin from now on. */
  static void signInAsAdmin() {
    RestAssured.requestSpecification =
        new RequestSpecBuilder().addHeader("Authorization", "Bearer " + admin()).build();
  }

  /** Requests carry only the headers each names (RestAssured's default is static: reset it). */
  static void signOut() {
    RestAssured.requestSpecification = null;
  }

  /** A new key for {@code name} with {@code roles}, made by the admin through the API. */
  static String create(String name, String... roles) {
    return make(name, roles).then().statusCode(201).extract().path("key");
  }

  /** The admin's answer to making a key: {@code info} (id, name ...) and the {@code key}. */
  static Response make(String name, String... roles) {
    return given()
        .header(bearer(admin()))
        .contentType(ContentType.JSON)
        .body(Map.of("name", name, "roles", List.of(roles)))
        .when()
        .post("/api/v1/keys");
  }
}
