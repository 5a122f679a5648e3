package dev.bd3.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bd3.cli.Bd3Client;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard as a user sees it, in Debian's Chromium driven by ChromeDriver against the running
 * suite: sign in with a key, the runs table fills, a run's chart draws its points, a comparison
 * shows two runs, a generation shows its blocks as they arrive, and a text file uploaded from the
 * browser becomes a dataset. Screenshots go to {@code target/screenshots}. Needs the packages
 * chromium and chromium-driver ({@code .ci/run} installs them when they are missing).
 */
@ExtendWith(SharedSuite.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path SCREENSHOTS = Path.of("target/screenshots");
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static ChromeDriver browser;
  private static String base;
  private static String key;
  private static String bd3Four;
  private static String mdlm;

  @BeforeAll
  static void runsAndBrowser(Suite suite) throws Exception {
    for (Path tool : List.of(CHROMIUM, CHROMEDRIVER)) {
      assertTrue(
          Files.isExecutable(tool),
          tool + " is missing: apt-get install chromium chromium-driver (.ci/run does)");
    }
    base = suite.api();
    key = suite.adminKey();
    Bd3Client api = suite.client();
    bd3Four = train(api, "browser-bd3-4", 4);
    mdlm = train(api, "browser-mdlm", 32);
    JsonNode eval =
        api.await(
            api.submit("eval", Bd3Client.object().put("trainRunId", bd3Four).put("maxSequences", 4))
                .path("id")
                .asText(),
            Duration.ofMinutes(5),
            v -> {});
    assertEquals("SUCCEEDED", eval.path("status").asText(), eval.toString());

    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    // root in CI: Chromium's sandbox needs a user namespace it may not get
    options.addArguments("--headless=new", "--no-sandbox", "--window-size=1400,1000");
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    browser = new ChromeDriver(service, options);
    Files.createDirectories(SCREENSHOTS);
  }

  private static String train(Bd3Client api, String name, int blockSize) {
    String id =
        api.submit(
                "train",
                name,
                Bd3Client.object()
                    .put("preset", "micro")
                    .put("blockSize", blockSize)
                    .put("steps", 40)
                    .put("checkpointEvery", 40)
                    .put("seed", 5),
                null)
            .path("id")
            .asText();
    JsonNode done = api.await(id, Duration.ofMinutes(5), v -> {});
    assertEquals("SUCCEEDED", done.path("status").asText(), done.toString());
    return id;
  }

  @AfterAll
  static void closeBrowser() {
    if (browser != null) {
      browser.quit();
    }
  }

  @Test
  @Order(1)
  void signInAndTheRunsTableFills() throws Exception {
    browser.get(base + "/");
    WebElement keyField = waitFor(By.id("key"));
    keyField.sendKeys(key);
    browser.findElement(By.cssSelector("#sign-in button[type=submit]")).click();
    waitUntil(() -> rows().size() >= 2, "the runs table fills");
    waitFor(rowOf(bd3Four));
    waitFor(rowOf(mdlm));
    assertTrue(browser.findElement(By.id("who")).getText().contains("admin"));
    screenshot("runs");
  }

  @Test
  @Order(2)
  void aRunsChartDrawsItsPoints() throws Exception {
    click(rowOf(bd3Four));
    By loss = By.cssSelector(".chart[data-series=loss]");
    waitUntil(() -> points(loss) >= 10, "the loss chart draws its points");
    assertEquals(1, browser.findElements(By.cssSelector(".chart[data-series=loss] canvas")).size());
    assertEquals("SUCCEEDED", browser.findElement(By.id("run-status")).getText());
    screenshot("run");
  }

  @Test
  @Order(3)
  void aComparisonShowsTwoRuns() throws Exception {
    browser.get(base + "/#runs");
    waitUntil(() -> rows().size() >= 2, "the runs table");
    for (String id : List.of(bd3Four, mdlm)) {
      click(By.cssSelector("#runs tr.run[data-id='" + id + "'] input[type=checkbox]"));
    }
    browser.findElement(By.id("compare-selected")).click();
    By chart = By.id("compare-chart");
    waitUntil(() -> points(chart) > 0, "the comparison draws");
    waitUntil(
        () -> browser.findElements(By.cssSelector("#compare-figures tbody tr")).size() == 2,
        "a row of final figures per run");
    // uPlot's legend: the step, then one entry per run
    assertEquals(
        3, browser.findElements(By.cssSelector("#compare-chart .u-legend .u-series")).size());
    String figures = browser.findElement(By.id("compare-figures")).getText();
    assertTrue(figures.contains("L'=4") && figures.contains("L'=32"), figures);
    WebElement bd3Row =
        browser.findElement(By.cssSelector("#compare-figures tr[data-id='" + bd3Four + "']"));
    String evalPpl = bd3Row.findElements(By.tagName("td")).get(7).getText();
    assertTrue(Double.parseDouble(evalPpl) > 1, "the evaluation's perplexity: " + evalPpl);
    screenshot("compare");
  }

  @Test
  @Order(4)
  void aGenerationShowsItsBlocksAsTheyArrive() throws Exception {
    browser.get(base + "/#playground");
    WebElement model = waitFor(By.id("play-run"));
    waitUntil(() -> !new Select(model).getOptions().isEmpty(), "finished runs to pick");
    new Select(model).selectByValue(bd3Four);
    WebElement length = browser.findElement(By.id("play-length"));
    length.clear();
    length.sendKeys("256");
    browser.findElement(By.cssSelector("#play button[type=submit]")).click();
    waitUntil(() -> !browser.findElements(By.id("play-stop")).isEmpty(), "the sample finishes");
    List<WebElement> blocks = browser.findElements(By.cssSelector("#play-output .block"));
    assertTrue(blocks.size() >= 2, "blocks: " + blocks.size());
    Set<String> arrivals =
        blocks.stream().map(b -> b.getAttribute("data-ms")).collect(Collectors.toSet());
    assertTrue(arrivals.size() >= 2, "blocks arrived at different times: " + arrivals);
    assertTrue(Integer.parseInt(browser.findElement(By.id("play-nfe")).getText()) > 0);
    screenshot("playground");
  }

  @Test
  @Order(5)
  void aTextFileUploadedFromTheBrowserIsListedAsADataset(@TempDir Path dir) throws Exception {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 60; i++) {
      text.append("Paragraph ").append(i).append(" of a text uploaded from the browser.\n\n");
    }
    Path file = Files.writeString(dir.resolve("browser-notes.txt"), text);
    browser.get(base + "/#datasets");
    waitFor(By.id("upload-file")).sendKeys(file.toAbsolutePath().toString());
    String name = "browser-" + System.nanoTime();
    browser.findElement(By.id("upload-name")).sendKeys(name);
    browser.findElement(By.cssSelector("#upload button[type=submit]")).click();
    waitUntil(
        () -> browser.findElement(By.id("datasets")).getText().contains(name),
        "the upload is listed");
    String row =
        browser.findElements(By.cssSelector("#datasets tr")).stream()
            .map(WebElement::getText)
            .filter(t -> t.contains(name))
            .findFirst()
            .orElseThrow();
    assertTrue(row.contains(" 60 "), "60 paragraphs, 60 documents: " + row);
    screenshot("datasets");
  }

  private static List<WebElement> rows() {
    return browser.findElements(By.cssSelector("#runs tr.run"));
  }

  private static By rowOf(String id) {
    return By.cssSelector("#runs tr.run[data-id='" + id + "']");
  }

  /**
   * Clicks what {@code by} finds. The runs table is redrawn every few seconds, so an element found
   * just before a redraw is gone when clicked (stale): then no click happened, and it is found
   * again; a click that happened is never repeated.
   */
  private static void click(By by) {
    new WebDriverWait(browser, WAIT)
        .ignoring(StaleElementReferenceException.class)
        .until(
            d -> {
              waitFor(by).click();
              return true;
            });
  }

  /** The points a chart says it drew (none until it is there). */
  private static int points(By chart) {
    String n = waitFor(chart).getAttribute("data-points");
    return n == null ? 0 : Integer.parseInt(n);
  }

  private static WebElement waitFor(By by) {
    return new WebDriverWait(browser, WAIT)
        .ignoring(StaleElementReferenceException.class)
        .until(
            d ->
                d.findElements(by).stream()
                    .filter(WebElement::isDisplayed)
                    .findFirst()
                    .orElse(null));
  }

  /** Waits for {@code condition}, looking again when what it read was redrawn meanwhile. */
  private static void waitUntil(BooleanSupplier condition, String what) {
    new WebDriverWait(browser, WAIT)
        .withMessage(what)
        .ignoring(StaleElementReferenceException.class)
        .until(d -> condition.getAsBoolean());
  }

  private static void screenshot(String name) throws Exception {
    File shot = browser.getScreenshotAs(OutputType.FILE);
    Files.copy(
        shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
  }
}
