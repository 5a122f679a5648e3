package dev.bd3.model.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SamplerRuleTest {
  @Test
  void theWrittenOutNamesAreTheEnums() {
    assertEquals(SamplerRule.names(), SamplerRule.NAMES);
  }

  @Test
  void aNameParsesToItsRule() {
    for (SamplerRule rule : SamplerRule.values()) {
      assertEquals(rule, SamplerRule.parse(rule.json()));
    }
    assertEquals(SamplerRule.FIRST_HITTING, SamplerRule.parse(" first-hitting "));
  }
}
