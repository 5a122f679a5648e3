package dev.bd3.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bd3.model.diffusion.ClippedSchedule;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClippedScheduleTest {

  @Test
  void antitheticDrawsFillEveryStratumOnceInsideTheInterval() {
    ClippedSchedule s = new ClippedSchedule(0.45, 0.95);
    int n = 4;
    int blocks = 8;
    double[] t = s.sample(n, blocks, 0.37);
    boolean[] seen = new boolean[n * blocks];
    for (double x : t) {
      assertTrue(x >= 0.45 && x <= 0.95, "t=" + x);
      int stratum = (int) ((x - 0.45) / 0.5 * n * blocks);
      assertTrue(!seen[stratum], "two draws in stratum " + stratum);
      seen[stratum] = true;
    }
    assertEquals(0.45 + 0.5 * 0.37 / 32, t[0], 1e-12);
    assertEquals(0.45 + 0.5 * (0.37 + 5) / 32, t[5], 1e-12);
  }

  @Test
  void referenceGridHas36IntervalsIncludingThePapersOptima() {
    List<ClippedSchedule> grid = ClippedSchedule.referenceGrid();
    assertEquals(36, grid.size());
    assertEquals(ClippedSchedule.FULL, grid.get(0));
    assertTrue(grid.contains(new ClippedSchedule(0.45, 0.95)));
    assertTrue(grid.contains(new ClippedSchedule(0.3, 0.8)));
    assertTrue(grid.contains(new ClippedSchedule(1e-3, 0.5)));
    assertEquals(36, grid.stream().distinct().count());
  }

  @Test
  void rejectsEmptyOrOutOfRangeIntervals() {
    assertThrows(IllegalArgumentException.class, () -> new ClippedSchedule(0, 1));
    assertThrows(IllegalArgumentException.class, () -> new ClippedSchedule(0.6, 0.5));
    assertThrows(IllegalArgumentException.class, () -> new ClippedSchedule(0.5, 1.1));
  }
}
