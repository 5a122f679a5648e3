package dev.bd3.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;

import dev.bd3.testsupport.LocalStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.smallrye.jwt.build.Jwt;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bearer JWTs of an identity provider beside the API keys: the roles come from the token's {@code
 * groups} claim, the owner from its subject; a token of another key, another issuer or past its
 * expiry is refused.
 */
@QuarkusTest
@QuarkusTestResource(LocalStack.class)
class JwtTest {
  /** The test profile's identity provider (application.properties, src/test/resources/jwt). */
  static final String ISSUER = "https://idp.bd3.test";

  private static final String PROVIDER_KEY = "jwt/test-provider-private.pem";

  @BeforeEach
  void signOut() {
    TestKeys.signOut();
  }

  private static String token(String subject, Set<String> groups, String issuer) {
    return Jwt.issuer(issuer).subject(subject).groups(groups).expiresIn(300).sign(PROVIDER_KEY);
  }

  private static String tokenOfAnotherKey(String subject, Set<String> groups) {
    return Jwt.issuer(ISSUER).subject(subject).groups(groups).expiresIn(300).sign(strangerKey());
  }

  @Test
  void aSubmitterFromTheProviderSubmitsAndOwnsItsRun() {
    String dana = "dana-" + UUID.randomUUID().toString().substring(0, 8);
    String jwt = token(dana, Set.of("submitter"), ISSUER);
    given()
        .header("Authorization", "Bearer " + jwt)
        .get("/api/v1/me")
        .then()
        .statusCode(200)
        .body("name", equalTo(dana))
        .body("roles", contains("submitter"));
    String run =
        given()
            .header("Authorization", "Bearer " + jwt)
            .contentType(ContentType.JSON)
            .body("{\"type\":\"train\",\"spec\":{\"steps\":1}}")
            .post("/api/v1/jobs")
            .then()
            .statusCode(201)
            .body("owner", equalTo(dana))
            .extract()
            .path("id");
    given()
        .header("Authorization", "Bearer " + jwt)
        .post("/api/v1/jobs/" + run + "/cancel")
        .then()
        .statusCode(202);
    // API keys keep working beside the tokens
    given()
        .header(TestKeys.bearer(TestKeys.admin()))
        .get("/api/v1/jobs/" + run)
        .then()
        .statusCode(200);
  }

  @Test
  void aReaderFromTheProviderMayNotSubmit() {
    String jwt = token("erin", Set.of("reader"), ISSUER);
    given().header("Authorization", "Bearer " + jwt).get("/api/v1/runs").then().statusCode(200);
    given()
        .header("Authorization", "Bearer " + jwt)
        .contentType(ContentType.JSON)
        .body("{\"type\":\"train\"}")
        .post("/api/v1/jobs")
        .then()
        .statusCode(403)
        .contentType(AuthTest.PROBLEM);
  }

  @Test
  void tokensOfAnotherKeyOrIssuerOrPastTheirTimeAreRefused() {
    for (String jwt :
        new String[] {
          tokenOfAnotherKey("mallory", Set.of("admin")),
          token("mallory", Set.of("admin"), "https://elsewhere.test"),
          Jwt.issuer(ISSUER)
              .subject("mallory")
              .groups(Set.of("admin"))
              .issuedAt(Instant.now().minusSeconds(7200))
              .expiresAt(Instant.now().minusSeconds(3600))
              .sign(PROVIDER_KEY),
          "not.a.jwt"
        }) {
      given()
          .header("Authorization", "Bearer " + jwt)
          .get("/api/v1/keys")
          .then()
          .statusCode(401)
          .contentType(AuthTest.PROBLEM);
    }
  }

  private static PrivateKey strangerKey() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return generator.generateKeyPair().getPrivate();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
