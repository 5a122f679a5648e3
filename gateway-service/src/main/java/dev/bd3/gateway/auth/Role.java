package dev.bd3.gateway.auth;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What a key may do. A role's name is what {@code @RolesAllowed} names; the constants below are
 * those names, for annotations.
 */
public enum Role {
  /** Reads every run, its metrics, samples and results, and the dashboard. */
  READER,
  /** Submits jobs; reads and cancels its own runs (all runs only with {@link #READER} too). */
  SUBMITTER,
  /** Everything: keys, every run, dead letters. */
  ADMIN;

  public static final String READER_NAME = "reader";
  public static final String SUBMITTER_NAME = "submitter";
  public static final String ADMIN_NAME = "admin";

  /** The role's name in the API and in {@code @RolesAllowed}: reader, submitter, admin. */
  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Role> parse(String name) {
    return Arrays.stream(values()).filter(r -> r.json().equals(name)).findFirst();
  }

  /** {@code reader, submitter, admin}: for error messages. */
  public static String names() {
    return Arrays.stream(values()).map(Role::json).collect(Collectors.joining(", "));
  }
}
