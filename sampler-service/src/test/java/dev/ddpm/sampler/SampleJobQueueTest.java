package dev.ddpm.sampler;

import dev.ddpm.core.api.OutputFormat;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.ModelPublished;
import dev.ddpm.core.events.SampleJobCancelRequested;
import dev.ddpm.core.events.SampleJobCompleted;
import dev.ddpm.core.events.SampleJobFailed;
import dev.ddpm.core.events.SampleJobRequested;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.messaging.Delivery;
import dev.ddpm.core.messaging.ReceivedEvent;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.sampler.config.SamplerConfig;
import dev.ddpm.sampler.service.SampleJobRunner;
import dev.ddpm.service.testing.GaussianModel;
import dev.ddpm.service.testing.TestOnlySigningKeys;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The local job queue against the real broker and S3: jobs for a model that is stored but not yet
 * loaded wait for it, a cancel gets through while the queue is full (4 places in tests) and the
 * jobs' channel waits for room, a job that can never be admitted or outlives its deadline ends at
 * once with a reason, and the job deadline stays below the channel's acknowledgement bound.
 */
@QuarkusTest
class SampleJobQueueTest extends SamplerTestBase {

    @Inject
    SampleJobRunner jobs;

    @Inject
    SamplerConfig config;

    @Test
    void theJobDeadlineStaysBelowTheChannelsAcknowledgementBound() {
        long unprocessedMaxAge = ConfigProvider.getConfig()
                .getValue("mp.messaging.incoming.sample-jobs.throttled.unprocessed-record-max-age.ms", Long.class);
        assertThat(config.jobs().deadline()).isEqualTo(Duration.ofMinutes(20));
        assertThat(config.jobs().deadline().plus(Delivery.ACK_WAIT).toMillis())
                .as("a job ends, and its outcome is announced, before its record is held too long")
                .isLessThan(unprocessedMaxAge);
    }

    @Test
    void jobsForAModelStoredButNotLoadedWaitForItAndACancelGetsThroughWhileTheQueueIsFull() throws Exception {
        GaussianModel model = new GaussianModel(name("late"), "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16);
        ObjectRef manifest = storeWithoutAnnouncing(model);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String id = name("queued-" + i);
            ids.add(id);
            send(new SampleJobRequested(id, request(model.name(), 2, SamplerKind.DDIM, 10, null)));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> jobs.held() == 4);
        Thread.sleep(2000);
        assertThat(jobs.held())
                .as("the queue is full: the jobs' channel waits for room")
                .isEqualTo(4);
        assertThat(jobs.stage(ids.get(0)))
                .as("waiting for its model, not failed")
                .contains("waiting");

        // The second job is held; the sixth has not been read yet.
        send(new SampleJobCancelRequested(ids.get(1)));
        send(new SampleJobCancelRequested(ids.get(5)));
        Map<String, EventData> outcomes = results(List.of(ids.get(1)), Duration.ofSeconds(30));
        assertThat(outcomes.get(ids.get(1)))
                .as("cancelled while the jobs' channel waits for room")
                .isInstanceOfSatisfying(
                        SampleJobFailed.class,
                        failed -> assertThat(failed.cancelled()).isTrue());
        await().atMost(Duration.ofSeconds(30))
                .until(() -> jobs.stage(ids.get(4)).isPresent());

        events.publishAndWait(
                CloudEvent.of("/tests", new ModelPublished(model.name(), "v1", manifest.key(), manifest.sha256())),
                Duration.ofSeconds(30));
        outcomes = results(List.of(ids.get(0), ids.get(2), ids.get(3), ids.get(4), ids.get(5)), Duration.ofSeconds(90));
        for (int i : new int[] {0, 2, 3, 4}) {
            assertThat(outcomes.get(ids.get(i))).as(ids.get(i)).isInstanceOf(SampleJobCompleted.class);
        }
        assertThat(outcomes.get(ids.get(5)))
                .as("cancelled before it was read")
                .isInstanceOfSatisfying(
                        SampleJobFailed.class,
                        failed -> assertThat(failed.cancelled()).isTrue());
        await().atMost(Duration.ofSeconds(10)).until(() -> jobs.held() == 0);
    }

    @Test
    void aJobStillWaitingAtItsDeadlineFailsAsDeadlineExceeded() throws Exception {
        GaussianModel model = new GaussianModel(name("never"), "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16);
        storeWithoutAnnouncing(model);
        String id = name("late-job");

        send(new SampleJobRequested(id, request(model.name(), 1, SamplerKind.DDIM, 10, 3.0)));

        EventData outcome = results(List.of(id), Duration.ofSeconds(30)).get(id);
        assertThat(outcome)
                .isInstanceOfSatisfying(
                        SampleJobFailed.class,
                        failed -> assertThat(failed.reason())
                                .startsWith("deadline exceeded")
                                .contains(model.name()));
        await().atMost(Duration.ofSeconds(10)).until(() -> jobs.stage(id).isEmpty());
    }

    @Test
    void aJobLargerThanOneJobMayTakeIsRefusedAtOnce() throws Exception {
        GaussianModel model =
                publish(new GaussianModel(name("large"), "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16));
        String id = name("large-job");

        send(new SampleJobRequested(id, request(model.name(), 64, SamplerKind.HEUN, 1000, null)));

        EventData outcome = results(List.of(id), Duration.ofSeconds(30)).get(id);
        assertThat(outcome)
                .isInstanceOfSatisfying(
                        SampleJobFailed.class,
                        failed -> assertThat(failed.reason())
                                .contains("127936 network evaluations")
                                .contains("sampler.queue.max-evaluations"));
    }

    /** Graph and manifest in the models bucket, with no ModelPublished: what a replica sees while it loads them. */
    private ObjectRef storeWithoutAnnouncing(GaussianModel model) {
        byte[] graph = model.graph();
        ObjectRef graphRef =
                store.put(Buckets.MODELS, model.name() + "/v1/unet.onnx", graph, "application/octet-stream");
        return TestOnlySigningKeys.putSignedManifest(
                store, model.name() + "/v1/manifest.json", model.manifest(graph, graphRef, Instant.now()));
    }

    private void send(EventData data) {
        events.publishAndWait(CloudEvent.of("/tests", data), Duration.ofSeconds(10));
    }

    private static SamplingRequest request(
            String model, int count, SamplerKind sampler, int steps, Double deadlineSeconds) {
        return new SamplingRequest(
                model,
                null,
                count,
                sampler,
                steps,
                null,
                1L,
                OutputFormat.PNG,
                null,
                null,
                null,
                deadlineSeconds,
                null,
                null,
                null);
    }

    /** The outcome of each job, read from ddpm.sample-results from its beginning. */
    private Map<String, EventData> results(List<String> jobIds, Duration timeout) {
        Map<String, EventData> outcomes = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(kafka.consumer("test-" + UUID.randomUUID()))) {
            consumer.subscribe(List.of(Topic.SAMPLE_RESULTS.topicName()));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline && outcomes.size() < jobIds.size()) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (jobIds.contains(record.key())) {
                        outcomes.putIfAbsent(
                                record.key(), ReceivedEvent.of(record).event().data());
                    }
                }
            }
        }
        assertThat(outcomes.keySet()).as("jobs with an outcome").containsExactlyInAnyOrderElementsOf(jobIds);
        return outcomes;
    }
}
