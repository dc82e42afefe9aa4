package dev.ddpm.sampler;

import dev.ddpm.core.diffusion.ReverseProcess;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.diffusion.SchedulerSettings;
import dev.ddpm.core.diffusion.Schedulers;
import dev.ddpm.core.diffusion.TimestepSpacing;
import dev.ddpm.proto.common.v1.Sampler;
import dev.ddpm.service.testing.GaussianModel;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the sampler makes is right: samples follow the model's distribution for every sampler,
 * each solver (ODE or stochastic, with or without dynamic thresholding) serves the images ddpm-core
 * computes for the seed, autoguidance narrows the spread, and a seed gives the same images whatever
 * the batch.
 */
@QuarkusTest
class SampledImagesTest extends SamplerTestBase {

    @Test
    void samplesFollowTheModelsDistributionForBothSamplers() throws IOException {
        GaussianModel model =
                publish(new GaussianModel(name("gauss"), "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16));
        GaussianModel other = new GaussianModel("x", "v", GaussianModel.pattern(1, 16, 2), 0.3, 1, 16);
        for (String sampler : List.of("ddim", "ddpm")) {
            Response response = twelveAsJson(model.name(), sampler, 7);
            List<float[]> images = images(response);
            double[] fit = residual(images, model.mu());
            System.out.printf("%s: residual mean %.4f, std %.4f (model s = 0.3)%n", sampler, fit[0], fit[1]);
            assertThat(images).hasSize(12);
            assertThat(Math.abs(fit[0])).isLessThan(0.05);
            assertThat(fit[1]).isBetween(0.22, 0.38);
            // Read against another model's mean the same images are far off: the check can fail.
            assertThat(residual(images, other.mu())[1]).isGreaterThan(0.5);
            assertThat(response.jsonPath().getString("version")).isEqualTo("v1");
        }
    }

    /**
     * Each solver, served: the images ddpm-core computes for the seed, distributed as the model's. The
     * stochastic ones draw their noise from the image's seeded stream, so the served images are exact too.
     * Dynamic thresholding scales every x_0 by its percentile (pulling the images in, so they are not
     * checked against the model's spread), and it must change the images the same request gives without it.
     */
    @Test
    void everySolverServesWhatDdpmCoreComputesForTheSeedAndFollowsTheModel() throws IOException {
        GaussianModel model =
                publish(new GaussianModel(name("solvers"), "v1", GaussianModel.pattern(1, 16, 2), 0.3, 1, 16));
        GaussianModel other = new GaussianModel("x", "v", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16);
        record Case(SamplerKind kind, int steps, Integer order, TimestepSpacing spacing, Double threshold) {
            Case(SamplerKind kind, int steps, Integer order, TimestepSpacing spacing) {
                this(kind, steps, order, spacing, null);
            }
        }
        Map<String, List<float[]>> unthresholded = new HashMap<>();
        for (Case c : List.of(
                new Case(SamplerKind.DPM_SOLVER_PP, 12, 3, TimestepSpacing.KARRAS),
                new Case(SamplerKind.DPM_SOLVER_PP, 20, null, null),
                new Case(SamplerKind.UNIPC, 20, null, null),
                new Case(SamplerKind.EULER, 20, null, null),
                new Case(SamplerKind.HEUN, 12, null, null),
                new Case(SamplerKind.UNIPC, 12, 3, TimestepSpacing.LEADING),
                new Case(SamplerKind.DPM_SOLVER_PP_SDE, 20, null, null),
                new Case(SamplerKind.DPM_SOLVER_PP_SDE, 20, 3, TimestepSpacing.KARRAS),
                new Case(SamplerKind.EULER_ANCESTRAL, 50, null, null),
                new Case(SamplerKind.DPM_SOLVER_PP_SDE, 20, null, null, 0.995),
                new Case(SamplerKind.EULER_ANCESTRAL, 50, null, null, 0.995))) {
            String extra = (c.order() == null ? "" : ",\"order\":" + c.order())
                    + (c.spacing() == null
                            ? ""
                            : ",\"spacing\":\"" + c.spacing().name().toLowerCase() + "\"")
                    + (c.threshold() == null ? "" : ",\"threshold\":" + c.threshold());
            Response response = given().contentType("application/json")
                    .body("{\"model\":\"" + model.name() + "\",\"count\":12,\"sampler\":\""
                            + c.kind().wireName() + "\",\"steps\":" + c.steps()
                            + ",\"seed\":5,\"output\":\"json\",\"clipX0\":false" + extra + "}")
                    .post("/v1/samples");
            response.then().statusCode(200);
            List<float[]> served = images(response);
            float[][] direct = ReverseProcess.sample(
                    model.denoiser(),
                    () -> Schedulers.create(
                            GaussianModel.DIFFUSION,
                            SchedulerSettings.of(c.kind())
                                    .withSteps(c.steps())
                                    .withClipX0(false)
                                    .withOrder(c.order())
                                    .withSpacing(c.spacing())
                                    .withThreshold(c.threshold())),
                    12,
                    256,
                    5,
                    0);
            for (int n = 0; n < 12; n++) {
                for (int i = 0; i < 256; i++) {
                    float expected = Math.max(-1f, Math.min(1f, direct[n][i]));
                    assertThat(served.get(n)[i])
                            .as("%s image %d pixel %d", c, n, i)
                            .isCloseTo(expected, org.assertj.core.api.Assertions.within(1.5f / 127.5f));
                }
            }
            String unthresholdedKey = c.kind() + " " + c.steps() + " " + c.order() + " " + c.spacing();
            if (c.threshold() != null) {
                assertThat(unthresholded.get(unthresholdedKey))
                        .as("%s without its threshold, served before", c)
                        .isNotNull();
                assertThat(maxDifference(served, unthresholded.get(unthresholdedKey)))
                        .as("%s against the same request without threshold", c)
                        .isGreaterThan(0.1);
                continue;
            }
            unthresholded.put(unthresholdedKey, served);
            double[] fit = residual(served, model.mu());
            System.out.printf("%s: residual mean %.4f, std %.4f (model s = 0.3)%n", c, fit[0], fit[1]);
            assertThat(Math.abs(fit[0])).isLessThan(0.05);
            assertThat(fit[1]).isBetween(0.22, 0.38);
            assertThat(residual(served, other.mu())[1]).isGreaterThan(0.5);
        }
    }

    @Test
    void anAutoguidedModelSamplesCloserToItsMeanThanTheSameModelAlone() throws IOException {
        // The model has learnt N(mu, 0.3^2); its guide, a "weaker version", N(mu, 0.6^2). Guided with
        // w = 2, the sampler extrapolates past the model away from the guide: the same mean, less spread.
        float[] mu = GaussianModel.pattern(1, 16, 3);
        GaussianModel alone = publish(new GaussianModel(name("alone"), "v1", mu, 0.3, 1, 16));
        GaussianModel guided = new GaussianModel(name("guided"), "v1", mu, 0.3, 1, 16);
        guided.publishGuided(store, events, 0.6, 2);
        await().atMost(Duration.ofSeconds(30)).until(() -> registry.current().containsKey(guided.name()));
        assertThat(registry.current().get(guided.name()).manifest().guide().weight())
                .isEqualTo(2.0);
        for (String sampler : List.of("ddpm", "dpm++", "unipc", "heun")) {
            double[] plain = residual(images(twelveAsJson(alone.name(), sampler, 11)), mu);
            double[] withGuide = residual(images(twelveAsJson(guided.name(), sampler, 11)), mu);
            System.out.printf(
                    "%s alone: residual std %.4f; autoguided: %.4f (model s = 0.3, guide s = 0.6, w = 2)%n",
                    sampler, plain[1], withGuide[1]);
            assertThat(plain[1]).isBetween(0.22, 0.38);
            assertThat(Math.abs(withGuide[0])).isLessThan(0.05);
            assertThat(withGuide[1]).isLessThan(0.8 * plain[1]);
        }
    }

    /** Twelve unclipped samples over REST, as JSON (a 200 is required). */
    private static Response twelveAsJson(String model, String sampler, long seed) {
        Response response = given().contentType("application/json")
                .body("{\"model\":\"" + model + "\",\"count\":12,\"sampler\":\"" + sampler + "\",\"seed\":" + seed
                        + ",\"output\":\"json\",\"clipX0\":false}")
                .post("/v1/samples");
        response.then().statusCode(200);
        return response;
    }

    private static List<float[]> images(Response response) throws IOException {
        List<float[]> images = new ArrayList<>();
        for (String data : response.jsonPath().<String>getList("images.data")) {
            images.add(pixels(Base64.getDecoder().decode(data)));
        }
        return images;
    }

    /**
     * DDIM, and the stochastic samplers whose every step draws fresh noise: that noise comes from the
     * image's own seeded stream, never from the batch it shares network calls with.
     */
    @Test
    void aSeedGivesTheSameImagesWhateverTheBatch() throws Exception {
        GaussianModel model =
                publish(new GaussianModel(name("seeds"), "v1", GaussianModel.pattern(1, 16, 1), 0.4, 1, 16));
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            for (Sampler sampler :
                    List.of(Sampler.SAMPLER_DDIM, Sampler.SAMPLER_DPM_SOLVER_PP_SDE, Sampler.SAMPLER_EULER_ANCESTRAL)) {
                byte[] alone = result(sample(model.name(), 42, 1, sampler, 30)).get(0);
                // The same request among neighbours at other timesteps, step counts and samplers.
                Future<List<byte[]>> crowded = pool.submit(() -> result(sample(model.name(), 42, 3, sampler, 30)));
                Future<List<byte[]>> ddpm =
                        pool.submit(() -> result(sample(model.name(), 1, 2, Sampler.SAMPLER_DDPM, 400)));
                Future<List<byte[]>> other = pool.submit(() -> result(sample(model.name(), 43, 1, sampler, 30)));
                List<byte[]> batch = crowded.get(60, TimeUnit.SECONDS);
                assertThat(batch.get(0)).as("%s", sampler).isEqualTo(alone);
                assertThat(batch.get(1)).as("%s", sampler).isNotEqualTo(alone);
                assertThat(other.get(60, TimeUnit.SECONDS).get(0))
                        .as("%s", sampler)
                        .isNotEqualTo(alone);
                assertThat(ddpm.get(60, TimeUnit.SECONDS)).hasSize(2);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** The largest |a - b| over every pixel of every image. */
    private static double maxDifference(List<float[]> a, List<float[]> b) {
        double max = 0;
        for (int n = 0; n < a.size(); n++) {
            for (int i = 0; i < a.get(n).length; i++) {
                max = Math.max(max, Math.abs(a.get(n)[i] - b.get(n)[i]));
            }
        }
        return max;
    }

    private static float[] pixels(byte[] png) throws IOException {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        float[] values = new float[image.getWidth() * image.getHeight()];
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                values[y * image.getWidth() + x] = ((image.getRGB(x, y) >> 16) & 0xff) / 127.5f - 1f;
            }
        }
        return values;
    }

    /** Mean and standard deviation of (image - mu) over all images and pixels. */
    private static double[] residual(List<float[]> images, float[] mu) {
        double sum = 0;
        double squares = 0;
        int n = 0;
        for (float[] image : images) {
            for (int i = 0; i < image.length; i++) {
                double r = image[i] - mu[i];
                sum += r;
                squares += r * r;
                n++;
            }
        }
        double mean = sum / n;
        return new double[] {mean, Math.sqrt(squares / n - mean * mean)};
    }
}
