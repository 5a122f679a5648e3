package dev.bd3.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The admin key file's content: a key someone can sign in with, or the gateway does not start. */
class FirstAdminKeyFileTest {
  private static final Path FILE = Path.of("/etc/bd3/admin-key/admin-key");
  private static final String KEY = "bd3_" + "AbCd-_0123456789".repeat(3);

  @Test
  void aKeyIsTakenWithoutItsSurroundingWhitespace() {
    assertEquals(KEY, FirstAdminKey.keyIn(FILE, KEY + "\n"));
    assertEquals(KEY, FirstAdminKey.keyIn(FILE, "  " + KEY + "\r\n"));
  }

  @Test
  void aKeyWithoutThePrefixFailsTheStartNamingTheFileAndTheForm() {
    // long enough, but the mechanism never hands a token without bd3_ to the identity provider
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> FirstAdminKey.keyIn(FILE, "AbCd-_0123456789".repeat(3) + "\n"));
    assertTrue(e.getMessage().contains(FILE.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("bd3_"), e.getMessage());
  }

  @Test
  void whatNoBearerHeaderCouldCarryFailsTheStart() {
    for (String text :
        new String[] {
          "",
          "bd3_short",
          "BD3_" + KEY.substring(4),
          KEY + "\n" + KEY,
          KEY.substring(0, 20) + " " + KEY.substring(20),
          KEY + "é"
        }) {
      assertThrows(IllegalStateException.class, () -> FirstAdminKey.keyIn(FILE, text), () -> text);
    }
  }
}
