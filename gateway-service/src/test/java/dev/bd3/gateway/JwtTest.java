package dev.bd3.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;

import dev.bd3.testsupport.LocalStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.smallrye.jwt.build.Jwt;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
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
@TestProfile(JwtTest.IdentityProvider.class)
class JwtTest {
  static final String ISSUER = "https://idp.bd3.test";
  private static final Path PUBLIC_KEY = Path.of("target/jwt-provider.pem");

  /**
   * The provider's signing key, passed through a file: the profile and the test may not share a
   * class loader, hence not a static field.
   */
  private static final Path PRIVATE_KEY = Path.of("target/jwt-provider.pkcs8");

  /** The gateway trusting the test's identity provider: its public key in a PEM file. */
  public static class IdentityProvider implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      // called more than once (each profile comparison): one key pair, made once, on disk
      if (!Files.exists(PUBLIC_KEY) || !Files.exists(PRIVATE_KEY)) {
        KeyPair provider = keyPair();
        String body = Base64.getMimeEncoder().encodeToString(provider.getPublic().getEncoded());
        try {
          Files.write(PRIVATE_KEY, provider.getPrivate().getEncoded());
          Files.writeString(
              PUBLIC_KEY, "-----BEGIN PUBLIC KEY-----\n" + body + "\n-----END PUBLIC KEY-----\n");
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      try {
        // the key itself, not its location: in test mode smallrye-jwt sets an in-memory key of
        // its own as mp.jwt.verify.publickey, which would win over a location
        return Map.of(
            "mp.jwt.verify.publickey",
            Files.readString(PUBLIC_KEY),
            "mp.jwt.verify.issuer",
            ISSUER);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  @BeforeEach
  void signOut() {
    TestKeys.signOut();
  }

  private static String token(String subject, Set<String> groups, PrivateKey key, String issuer) {
    return Jwt.issuer(issuer).subject(subject).groups(groups).expiresIn(300).sign(key);
  }

  @Test
  void aSubmitterFromTheProviderSubmitsAndOwnsItsRun() {
    String dana = "dana-" + UUID.randomUUID().toString().substring(0, 8);
    String jwt = token(dana, Set.of("submitter"), provider(), ISSUER);
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
    String jwt = token("erin", Set.of("reader"), provider(), ISSUER);
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
          token("mallory", Set.of("admin"), keyPair().getPrivate(), ISSUER),
          token("mallory", Set.of("admin"), provider(), "https://elsewhere.test"),
          Jwt.issuer(ISSUER)
              .subject("mallory")
              .groups(Set.of("admin"))
              .issuedAt(Instant.now().minusSeconds(7200))
              .expiresAt(Instant.now().minusSeconds(3600))
              .sign(provider()),
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

  private static PrivateKey provider() {
    try {
      return KeyFactory.getInstance("RSA")
          .generatePrivate(new PKCS8EncodedKeySpec(Files.readAllBytes(PRIVATE_KEY)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair keyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return generator.generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
