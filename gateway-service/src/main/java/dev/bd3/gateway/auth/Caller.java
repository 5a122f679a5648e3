package dev.bd3.gateway.auth;

import dev.bd3.gateway.runs.Run;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import java.util.Optional;

/**
 * Who is asking, and which runs they may see and cancel: readers and admins see every run; a
 * submitter sees and cancels the runs it owns; only an admin cancels another's run.
 */
@RequestScoped
public class Caller {
  @Inject SecurityIdentity identity;

  /** The principal: the owner of what this caller submits. */
  public String name() {
    return identity.getPrincipal().getName();
  }

  public boolean is(Role role) {
    return identity.hasRole(role.json());
  }

  public boolean readsAll() {
    return is(Role.ADMIN) || is(Role.READER);
  }

  public boolean mayRead(Run run) {
    return mayReadOwnedBy(run.owner);
  }

  /** Whether the caller sees what {@code owner} made (runs, datasets). */
  public boolean mayReadOwnedBy(String owner) {
    return readsAll() || name().equals(owner);
  }

  public boolean mayCancel(Run run) {
    return mayChangeOwnedBy(run.owner);
  }

  /**
   * Whether the caller may change what {@code owner} made: its own (a submitter) or any (admin).
   */
  public boolean mayChangeOwnedBy(String owner) {
    return is(Role.ADMIN) || (is(Role.SUBMITTER) && name().equals(owner));
  }

  /**
   * The owner a list is narrowed to: {@code asked} (null or blank: anyone's) within what the caller
   * sees. Empty when the two do not meet (another's, for a caller who sees only its own).
   */
  public Optional<Optional<String>> listed(String asked) {
    if (asked == null || asked.isBlank()) {
      return Optional.of(ownerFilter());
    }
    return mayReadOwnedBy(asked) ? Optional.of(Optional.of(asked)) : Optional.empty();
  }

  /** The owner to restrict lists to: none for a caller who reads every run. */
  private Optional<String> ownerFilter() {
    return readsAll() ? Optional.empty() : Optional.of(name());
  }
}
