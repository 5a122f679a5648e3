package dev.bd3.gateway.auth;

import io.quarkus.security.credential.TokenCredential;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.quarkus.vertx.http.runtime.security.HttpCredentialTransport;
import io.quarkus.vertx.http.runtime.security.HttpSecurityUtils;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;

/**
 * {@code Authorization: Bearer bd3_...}: hands an API key to the {@link ApiKeyIdentityProvider}. A
 * request without one is anonymous, which only the open paths (health, metrics, the OpenAPI
 * document, the dashboard's page) serve; the API answers it with 401.
 */
@ApplicationScoped
public class ApiKeyMechanism implements HttpAuthenticationMechanism {
  private static final String BEARER = "Bearer ";

  /** The {@code WWW-Authenticate} value of a 401. */
  public static final String CHALLENGE = "Bearer realm=\"bd3\"";

  @Override
  public Uni<SecurityIdentity> authenticate(
      RoutingContext context, IdentityProviderManager identityProviderManager) {
    String header = context.request().getHeader(HttpHeaders.AUTHORIZATION);
    if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return Uni.createFrom().nullItem();
    }
    String token = header.substring(BEARER.length()).strip();
    if (!token.startsWith(ApiKeys.KEY_PREFIX)) {
      return Uni.createFrom().nullItem(); // not one of our keys: anonymous, hence a 401
    }
    TokenAuthenticationRequest request =
        new TokenAuthenticationRequest(new TokenCredential(token, "bearer"));
    return identityProviderManager.authenticate(
        HttpSecurityUtils.setRoutingContextAttribute(request, context));
  }

  @Override
  public Uni<ChallengeData> getChallenge(RoutingContext context) {
    return Uni.createFrom().item(new ChallengeData(401, "WWW-Authenticate", CHALLENGE));
  }

  @Override
  public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
    return Set.of(TokenAuthenticationRequest.class);
  }

  @Override
  public Uni<HttpCredentialTransport> getCredentialTransport(RoutingContext context) {
    return Uni.createFrom()
        .item(new HttpCredentialTransport(HttpCredentialTransport.Type.AUTHORIZATION, "bearer"));
  }
}
