package dev.ddpm.gateway;

import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.events.TrainingCancelRequested;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.lifecycle.ModelAliasStore;
import dev.ddpm.service.testing.GaussianModel;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The page people use, in Debian's headless Chromium (scripts/test.sh installs chromium and
 * chromium-driver): enter a key, pick a model, click Generate, and see the previews and the images
 * arrive; the models view promotes and rolls back; the training view lists runs and cancels one.
 * Screenshots go to target/surefire-reports/screenshots.
 */
@QuarkusTest
@QuarkusTestResource(RealSampler.class)
class WebPageTest extends GatewayTestBase {

    static final Path SCREENSHOTS = Path.of("target", "surefire-reports", "screenshots");

    private ChromeDriver browser;

    @BeforeEach
    void open() throws Exception {
        String chromium = System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium");
        String driver = System.getenv().getOrDefault("CHROMEDRIVER", "/usr/bin/chromedriver");
        assertThat(new File(chromium))
                .as("Chromium (Debian: apt-get install chromium chromium-driver)")
                .exists();
        ChromeOptions options = new ChromeOptions()
                .setBinary(chromium)
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1100,900");
        browser = new ChromeDriver(
                new ChromeDriverService.Builder()
                        .usingDriverExecutable(new File(driver))
                        .build(),
                options);
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterEach
    void close() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void clickingGenerateShowsTheDenoisingAndThenTheImages() throws Exception {
        GaussianModel model = new GaussianModel(
                "page-" + UUID.randomUUID().toString().substring(0, 8),
                "v1",
                GaussianModel.pattern(1, 16, 1),
                0.3,
                1,
                16);
        GatewayTestBase.publishForEveryKey(model, store, events);
        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> given().header("X-API-Key", GatewayTestBase.VIEWER_KEY)
                        .contentType("application/json")
                        .body("{\"model\":\"" + model.name() + "\",\"steps\":2}")
                        .post("/v1/samples")
                        .then()
                        .statusCode(200));

        browser.get("http://localhost:" + RestAssured.port + "/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        WebElement key = browser.findElement(By.id("api-key"));
        key.sendKeys(GatewayTestBase.VIEWER_KEY);
        ((JavascriptExecutor) browser).executeScript("arguments[0].dispatchEvent(new Event('change'))", key);
        wait.until(d -> new Select(d.findElement(By.id("model")))
                .getOptions().stream().anyMatch(o -> o.getAttribute("value").equals(model.name())));
        new Select(browser.findElement(By.id("model"))).selectByValue(model.name());
        new Select(browser.findElement(By.id("sampler"))).selectByValue("dpm++");
        assertThat(browser.findElement(By.id("steps")).getAttribute("value"))
                .as("the solver's own default")
                .isEqualTo("20");
        WebElement steps = browser.findElement(By.id("steps"));
        steps.clear();
        steps.sendKeys("12");
        browser.findElement(By.id("generate")).click();

        wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#images a.result img"), 4));
        List<WebElement> images = browser.findElements(By.cssSelector("#images a.result img"));
        for (WebElement image : images) {
            Long width = (Long) ((JavascriptExecutor) browser).executeScript("return arguments[0].naturalWidth", image);
            assertThat(width).isEqualTo(16L);
        }
        assertThat(browser.findElement(By.id("status")).getText()).contains("done: " + model.name() + " v1");
        assertThat(browser.findElement(By.id("error")).getText()).isEmpty();
        Files.write(SCREENSHOTS.resolve("generate.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));

        // A stochastic sampler with dynamic thresholding, from the same form.
        new Select(browser.findElement(By.id("sampler"))).selectByValue("euler-ancestral");
        browser.findElement(By.id("threshold")).sendKeys("0.995");
        browser.findElement(By.id("generate")).click();
        wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#images a.result img"), 4));
        wait.until(d -> d.findElement(By.id("status")).getText().contains("done: " + model.name() + " v1"));
        assertThat(browser.findElement(By.id("error")).getText()).isEmpty();

        browser.findElement(By.id("nav-trainings")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("view-trainings")));
        Files.write(
                SCREENSHOTS.resolve("trainings.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    @Test
    void theModelsViewPromotesAndRollsBackAndARunningTrainingIsCancelled() throws Exception {
        String model = ModelLifecycleApiTest.modelWithCandidate(store, name("page-life"), "trainer");
        String runId = name("page-run");
        send(new TrainingRequested(
                runId, TrainingRequest.builder().dataset("d").steps(10).build(), "trainer"));
        await().atMost(Duration.ofSeconds(20))
                .until(() -> as(TRAINER_KEY).get("/v1/trainings/" + runId).statusCode() == 200);

        browser.get("http://localhost:" + RestAssured.port + "/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        WebElement key = browser.findElement(By.id("api-key"));
        key.sendKeys(TRAINER_KEY);
        ((JavascriptExecutor) browser).executeScript("arguments[0].dispatchEvent(new Event('change'))", key);
        browser.findElement(By.id("nav-models")).click();
        By row = By.cssSelector("#model-rows tr[data-model='" + model + "']");
        wait.until(ExpectedConditions.presenceOfElementLocated(row));
        assertThat(browser.findElement(row)
                        .findElement(By.className("production"))
                        .getText())
                .isEqualTo("v1");
        assertThat(browser.findElement(row)
                        .findElement(By.className("candidate"))
                        .getText())
                .isEqualTo("v2");

        browser.findElement(row).findElement(By.className("promote")).click();
        wait.until(d -> d.findElement(row)
                .findElement(By.className("production"))
                .getText()
                .equals("v2"));
        assertThat(new ModelAliasStore(store).read(model).orElseThrow().production())
                .contains("v2");
        assertThat(browser.findElement(By.id("models-error")).getText()).isEmpty();
        Files.write(SCREENSHOTS.resolve("models.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));

        browser.findElement(row).findElement(By.className("rollback")).click();
        wait.until(d -> d.findElement(row)
                .findElement(By.className("production"))
                .getText()
                .equals("v1"));
        assertThat(new ModelAliasStore(store).read(model).orElseThrow().production())
                .contains("v1");

        browser.findElement(By.id("nav-trainings")).click();
        By run = By.cssSelector("#runs tr[data-run='" + runId + "']");
        wait.until(ExpectedConditions.presenceOfElementLocated(run));
        browser.findElement(run).findElement(By.className("cancel")).click();
        TrainingCancelRequested cancel = (TrainingCancelRequested)
                awaitEvent(Topic.TRAINING_REQUESTS, runId, TrainingCancelRequested.class::isInstance);
        assertThat(cancel.requestedBy()).isEqualTo("trainer");
        assertThat(browser.findElement(By.id("runs-error")).getText()).isEmpty();
    }
}
