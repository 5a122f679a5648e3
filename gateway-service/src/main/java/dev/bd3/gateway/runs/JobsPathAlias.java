package dev.bd3.gateway.runs;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.core.UriBuilder;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * {@code /api/v1/jobs/...}, the runs' former path, until it is removed: answered as {@code
 * /api/v1/runs/...} and marked deprecated (RFC 9745's {@code Deprecation}, with the successor in a
 * {@code Link}), so that old clients keep working and can see where to go.
 */
public class JobsPathAlias {
  static final String FORMER = "/api/v1/jobs";
  static final String CURRENT = "/api/v1/runs";

  /** When the alias was deprecated (2026-12-04), as RFC 9745 writes a date. */
  static final String DEPRECATED_SINCE = "@1796342400";

  private static final String ALIASED = JobsPathAlias.class.getName();

  @ServerRequestFilter(preMatching = true)
  public void rewrite(ContainerRequestContext request) {
    String path = request.getUriInfo().getRequestUri().getRawPath();
    if (path.equals(FORMER) || path.startsWith(FORMER + "/")) {
      String current = CURRENT + path.substring(FORMER.length());
      request.setRequestUri(
          UriBuilder.fromUri(request.getUriInfo().getRequestUri()).replacePath(current).build());
      request.setProperty(ALIASED, current);
    }
  }

  @ServerResponseFilter
  public void markDeprecated(ContainerRequestContext request, ContainerResponseContext response) {
    Object current = request.getProperty(ALIASED);
    if (current != null) {
      response.getHeaders().add("Deprecation", DEPRECATED_SINCE);
      response.getHeaders().add("Link", "<" + current + ">; rel=\"successor-version\"");
    }
  }
}
