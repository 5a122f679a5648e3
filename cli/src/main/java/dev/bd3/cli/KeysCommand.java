package dev.bd3.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bd3 keys}, {@code bd3 keys create NAME --role R...}, {@code bd3 keys revoke ID}. */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    description = "List the API keys (an admin's tool): names, roles, use; never the keys.",
    subcommands = {KeysCommand.Create.class, KeysCommand.Revoke.class, KeysCommand.Me.class})
final class KeysCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Table table = new Table("ID", "NAME", "ROLES", "PREFIX", "CREATED", "LAST USED", "REVOKED");
    for (JsonNode k : Main.of(spec).client().keys()) {
      List<String> roles = new ArrayList<>();
      k.path("roles").forEach(r -> roles.add(r.asText()));
      table.row(
          k.path("id").asText(),
          k.path("name").asText(),
          String.join(",", roles),
          k.path("prefix").asText(),
          k.path("createdAt").asText(),
          k.path("lastUsedAt").asText(""),
          k.path("revokedAt").asText(""));
    }
    table.print(spec.commandLine().getOut());
    return 0;
  }

  /** {@code bd3 keys create NAME --role reader [--role submitter]}. */
  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Make a key; it is printed this once (keep it: only its hash is stored).")
  static final class Create implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME", description = "whom the key speaks for")
    String name;

    @Option(
        names = "--role",
        required = true,
        paramLabel = "ROLE",
        description = "reader, submitter or admin (repeatable)")
    List<String> roles;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      JsonNode made = Main.of(spec).client().createKey(name, roles);
      spec.commandLine().getErr().println("key " + made.path("info").path("id").asText() + ":");
      spec.commandLine().getOut().println(made.path("key").asText());
      return 0;
    }
  }

  /** {@code bd3 keys revoke ID}. */
  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description = "Revoke a key: refused from now on.")
  static final class Revoke implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      JsonNode revoked = Main.of(spec).client().revokeKey(id);
      spec.commandLine()
          .getOut()
          .println(
              "revoked " + revoked.path("name").asText() + " " + revoked.path("prefix").asText());
      return 0;
    }
  }

  /** {@code bd3 keys me}. */
  @Command(
      name = "me",
      mixinStandardHelpOptions = true,
      description = "Who this key speaks for, with which roles.")
  static final class Me implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      JsonNode me = Main.of(spec).client().me();
      List<String> roles = new ArrayList<>();
      me.path("roles").forEach(r -> roles.add(r.asText()));
      spec.commandLine().getOut().println(me.path("name").asText() + " " + String.join(",", roles));
      return 0;
    }
  }
}
