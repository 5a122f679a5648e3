package dev.bd3.cli;

import picocli.CommandLine.IVersionProvider;

/** {@code --version}: the version the jar's manifest names (none when run from classes). */
final class Version implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String version = Main.class.getPackage().getImplementationVersion();
    return new String[] {"bd3 " + (version == null ? "(development build)" : version)};
  }
}
