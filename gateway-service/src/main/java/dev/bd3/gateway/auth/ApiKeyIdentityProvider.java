package dev.bd3.gateway.auth;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** An API key's identity: its name as the principal, its roles; an unknown or revoked key fails. */
@ApplicationScoped
public class ApiKeyIdentityProvider implements IdentityProvider<TokenAuthenticationRequest> {
  /** The identity's attribute holding the id of the key used. */
  public static final String KEY_ID = "bd3.key-id";

  @Inject ApiKeys keys;

  @Override
  public Class<TokenAuthenticationRequest> getRequestType() {
    return TokenAuthenticationRequest.class;
  }

  @Override
  public Uni<SecurityIdentity> authenticate(
      TokenAuthenticationRequest request, AuthenticationRequestContext context) {
    String token = request.getToken().getToken();
    return context.runBlocking(
        () -> {
          ApiKey key =
              keys.identify(token)
                  .orElseThrow(() -> new AuthenticationFailedException("unknown or revoked key"));
          QuarkusSecurityIdentity.Builder identity =
              QuarkusSecurityIdentity.builder()
                  .setPrincipal(new QuarkusPrincipal(key.name))
                  .addCredential(request.getToken())
                  .addAttribute(KEY_ID, key.id);
          key.roleSet().forEach(role -> identity.addRole(role.json()));
          return identity.build();
        });
  }
}
