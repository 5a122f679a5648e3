package dev.bd3.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which refused holder acknowledges its record, and the fence's JSON on the control topic. */
class FenceTest {
  private static final JobEvent.Holder A = new JobEvent.Holder("d1", "0@5");
  private static final JobEvent.Holder COPY = new JobEvent.Holder("d1", "1@7");
  private static final JobEvent.Holder LATER = new JobEvent.Holder("d2", "0@9");

  @Test
  void aCopyAnOldDispatchOrAnEndedRunIsSpent() {
    assertTrue(new Fence("r", 1, COPY, A, false).recordSpent(), "a second record of one dispatch");
    assertTrue(new Fence("r", 1, A, LATER, false).recordSpent(), "a record of an old dispatch");
    assertTrue(new Fence("r", 1, A, null, false).recordSpent(), "nobody holds it: handed on");
    assertTrue(new Fence("r", 1, A, A, true).recordSpent(), "the run has ended");
  }

  @Test
  void anEarlierDeliveryOfTheHoldersOwnRecordIsNotSpent() {
    // acknowledging would end the delivery that the current holder works on
    assertFalse(new Fence("r", 1, A, A, false).recordSpent());
  }

  @Test
  void noticesAreJsonObjectsThatNameTheirKindWhereACancellationIsARunId() throws Exception {
    for (HoldNotice notice :
        new HoldNotice[] {new Fence("r", 2, COPY, A, false), new Grant("r", 1, A)}) {
      String json = Json.mapper().writerFor(HoldNotice.class).writeValueAsString(notice);
      assertTrue(json.startsWith("{\"kind\":"), json);
      assertEquals(notice, Json.mapper().readValue(json, HoldNotice.class));
    }
  }
}
