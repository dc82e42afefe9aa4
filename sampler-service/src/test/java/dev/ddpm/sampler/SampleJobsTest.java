package dev.ddpm.sampler;

import dev.ddpm.core.api.OutputFormat;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.diffusion.AnimationFrames;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.SampleJobCancelRequested;
import dev.ddpm.core.events.SampleJobCompleted;
import dev.ddpm.core.events.SampleJobFailed;
import dev.ddpm.core.events.SampleJobRequested;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.messaging.ReceivedEvent;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.sampler.output.VideoFrames;
import dev.ddpm.service.testing.GaussianModel;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Asynchronous jobs from {@code ddpm.sample-jobs}: results stored and announced, the same images
 * as the request made synchronously, cancellation, and jobs that meet a full queue waiting for a
 * place.
 */
@QuarkusTest
class SampleJobsTest extends SamplerTestBase {

    /** The API key id the tests' jobs are submitted under. */
    private static final String SUBMITTER = "submitter";

    @Test
    void aCancelledAsynchronousJobEndsAsCancelledAndFreesItsSlots() throws Exception {
        GaussianModel model =
                publish(new GaussianModel(name("job-cancel"), "v1", GaussianModel.pattern(3, 64, 0), 0.3, 3, 64));
        String job = name("job-cancel");
        events.publishAndWait(
                CloudEvent.of(
                        "/tests",
                        asyncJob(job, model.name(), null, 64, SamplerKind.DDPM, null, null, 1L, OutputFormat.GRID)),
                Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(30)).until(() -> batcher.activeRequests() == 1);
        events.publishAndWait(CloudEvent.of("/tests", new SampleJobCancelRequested(job)), Duration.ofSeconds(10));
        assertThat(result(job))
                .isInstanceOfSatisfying(
                        SampleJobFailed.class,
                        failed -> assertThat(failed.cancelled()).isTrue());
        await().atMost(Duration.ofSeconds(5))
                .until(() -> batcher.activeRequests() == 0 && batcher.backlogEvaluations() == 0);
        assertThat(store.exists(Buckets.SAMPLES, job + "/result.json")).isFalse();
    }

    @Test
    void asynchronousJobsStoreTheirResultsAndAnnounceThem() throws Exception {
        GaussianModel model =
                publish(new GaussianModel(name("jobs"), "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16));
        String videoJob = name("video");
        String pngJob = name("png");
        String badJob = name("bad");
        events.publishAndWait(
                CloudEvent.of(
                        "/tests",
                        asyncJob(videoJob, model.name(), null, 4, SamplerKind.DDIM, 20, 0.0, 5L, OutputFormat.VIDEO)),
                Duration.ofSeconds(10));
        events.publishAndWait(
                CloudEvent.of(
                        "/tests",
                        asyncJob(pngJob, model.name(), "v1", 3, SamplerKind.DDPM, 50, null, 6L, OutputFormat.PNG)),
                Duration.ofSeconds(10));
        events.publishAndWait(
                CloudEvent.of(
                        "/tests",
                        asyncJob(badJob, "no-such-model", null, 1, SamplerKind.DDIM, 10, null, 1L, OutputFormat.PNG)),
                Duration.ofSeconds(10));

        var video = (SampleJobCompleted) result(videoJob);
        assertThat(video.version()).isEqualTo("v1");
        assertThat(video.results())
                .extracting(ObjectRef::key)
                .containsExactly(videoJob + "/image-0.gif", videoJob + "/image-1.mp4");
        // x_T and then the steps the schedule shows, in order, ending on the image the same request makes as a grid.
        int frames = AnimationFrames.stepsShown(20, AnimationFrames.DEFAULT_FRAMES).length;
        var gif = VideoFrames.gif(store.get(video.results().get(0)));
        assertThat(gif).as("frames of the reverse process").hasSize(frames);
        var mp4 = VideoFrames.mp4(store.get(video.results().get(1)));
        assertThat(mp4)
                .as("the same frames, the last held 1.5 s at 10 frames/s")
                .hasSize(frames + 14);
        byte[] grid = given().contentType("application/json")
                .body("{\"model\":\"" + model.name()
                        + "\",\"count\":4,\"sampler\":\"ddim\",\"steps\":20,\"eta\":0,\"seed\":5,\"output\":\"grid\"}")
                .post("/v1/samples")
                .then()
                .statusCode(200)
                .extract()
                .asByteArray();
        var finalImage = ImageIO.read(new ByteArrayInputStream(grid));
        assertThat(VideoFrames.meanDifference(finalImage, gif.get(frames - 1), 1))
                .isLessThan(2);
        assertThat(VideoFrames.meanDifference(finalImage, gif.get(0), 1))
                .as("the first frame is the starting noise")
                .isGreaterThan(20);
        int scale = VideoFrames.mp4Scale(finalImage);
        assertThat(VideoFrames.meanDifference(finalImage, mp4.get(mp4.size() - 1), scale))
                .isLessThan(8);
        var png = (SampleJobCompleted) result(pngJob);
        assertThat(png.results()).hasSize(3);
        assertThat(ImageIO.read(new ByteArrayInputStream(store.get(png.results().get(2))))
                        .getWidth())
                .isEqualTo(16);
        assertThat(store.exists(Buckets.SAMPLES, pngJob + "/result.json")).isTrue();
        // Its stored end names its submitter, for the gateway once its view has forgotten the job.
        assertThat(store.getJson(Buckets.SAMPLES, pngJob + "/result.json", SampleJobCompleted.class)
                        .requestedBy())
                .isEqualTo(SUBMITTER);
        assertThat(png.requestedBy()).isEqualTo(SUBMITTER);
        var bad = (SampleJobFailed) result(badJob);
        assertThat(bad.reason()).contains("no-such-model");
        assertThat(store.getJson(Buckets.SAMPLES, badJob + "/failed.json", SampleJobFailed.class)
                        .requestedBy())
                .isEqualTo(SUBMITTER);
    }

    /** A job carries the whole request: the settings only a body names (variance, clipping) change its images too. */
    @Test
    void anAsynchronousJobSamplesAsTheSameRequestMadeSynchronously() throws Exception {
        GaussianModel model =
                publish(new GaussianModel(name("whole"), "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16));
        String job = name("whole-job");
        String defaults = "{\"model\":\"" + model.name() + "\",\"count\":4,\"sampler\":\"ddpm\",\"steps\":50,"
                + "\"seed\":9,\"output\":\"grid\"";
        String body = defaults + ",\"variance\":\"fixed_large\",\"clipX0\":false}";
        var request = Json.read(body.getBytes(StandardCharsets.UTF_8), SamplingRequest.class);
        events.publishAndWait(CloudEvent.of("/tests", new SampleJobRequested(job, request)), Duration.ofSeconds(10));

        var done = (SampleJobCompleted) result(job);
        BufferedImage asynchronous =
                ImageIO.read(new ByteArrayInputStream(store.get(done.results().get(0))));
        BufferedImage same = ImageIO.read(new ByteArrayInputStream(given().contentType("application/json")
                .body(body)
                .post("/v1/samples")
                .then()
                .statusCode(200)
                .extract()
                .asByteArray()));
        BufferedImage withDefaults = ImageIO.read(new ByteArrayInputStream(given().contentType("application/json")
                .body(defaults + "}")
                .post("/v1/samples")
                .then()
                .statusCode(200)
                .extract()
                .asByteArray()));
        double differenceToSame = VideoFrames.meanDifference(same, asynchronous, 1);
        double differenceToDefaults = VideoFrames.meanDifference(withDefaults, asynchronous, 1);
        assertThat(differenceToSame).isLessThan(0.5);
        assertThat(differenceToDefaults)
                .as("what the job's variance and clipping change")
                .isGreaterThan(2);
    }

    /**
     * Asynchronous jobs that arrive while interactive requests keep the queue full (4 places in
     * tests) wait for a place instead of failing as the interactive requests beyond it do.
     */
    @Test
    void jobsArrivingAtAFullQueueWaitForAPlaceAndComplete() throws Exception {
        GaussianModel model =
                publish(new GaussianModel(name("crowded"), "v1", GaussianModel.pattern(3, 64, 1), 0.3, 3, 64));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger refused = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            clients.add(pool.submit(() -> {
                while (!stop.get()) {
                    Response r = given().contentType("application/json")
                            .body("{\"model\":\"" + model.name() + "\",\"count\":8,\"steps\":40,\"output\":\"grid\"}")
                            .post("/v1/samples");
                    if (r.statusCode() == 429) {
                        refused.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> refused.get() > 0); // the queue is full now
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String job = name("crowded-" + i);
            jobs.add(job);
            events.publishAndWait(
                    CloudEvent.of(
                            "/tests",
                            asyncJob(
                                    job,
                                    model.name(),
                                    null,
                                    2,
                                    SamplerKind.DDIM,
                                    10,
                                    null,
                                    (long) i,
                                    OutputFormat.PNG)),
                    Duration.ofSeconds(10));
        }
        Thread.sleep(3000); // the jobs meet the full queue
        stop.set(true);
        for (Future<?> client : clients) {
            client.get(120, TimeUnit.SECONDS);
        }
        pool.shutdownNow();
        for (String job : jobs) {
            assertThat(result(job)).as(job).isInstanceOf(SampleJobCompleted.class);
        }
    }

    private EventData result(String jobId) {
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(kafka.consumer("test-" + UUID.randomUUID()))) {
            consumer.subscribe(List.of(Topic.SAMPLE_RESULTS.topicName()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (jobId.equals(record.key())) {
                        return ReceivedEvent.of(record).event().data();
                    }
                }
            }
        }
        throw new AssertionError("no result for job " + jobId);
    }

    /** An asynchronous job, submitted by {@link #SUBMITTER}, with the request's defaults for what it does not name. */
    private static SampleJobRequested asyncJob(
            String jobId,
            String model,
            String version,
            int count,
            SamplerKind sampler,
            Integer steps,
            Double eta,
            long seed,
            OutputFormat output) {
        return new SampleJobRequested(
                jobId,
                new SamplingRequest(
                        model, version, count, sampler, steps, eta, seed, output, null, null, null, null, null, null,
                        null),
                SUBMITTER);
    }
}
