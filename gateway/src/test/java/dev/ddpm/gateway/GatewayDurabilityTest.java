package dev.ddpm.gateway;

import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.events.SampleJobCompleted;
import dev.ddpm.core.events.SampleJobRequested;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.gateway.service.SampleJobView;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.oneOf;

/**
 * What makes the gateway's submissions safe to retry and its answers the same on every replica: jobs
 * known from the jobs' topic (whichever replica took them), result.json read back for a job whose end
 * it has not heard, and idempotency keys (the same run or job, sent and charged once).
 */
@QuarkusTest
@QuarkusTestResource(RealSampler.class)
class GatewayDurabilityTest extends GatewayTestBase {

    static final String IDEMPOTENT_KEY = "test-key-idempotent";
    static final String OTHER_KEY = "test-key-other";

    @Inject
    SampleJobView jobs;

    @Test
    void aJobSubmittedThroughAnotherReplicaIsKnownHereWithItsOwner() {
        String jobId = "job-" + UUID.randomUUID();
        // As another replica sends it: on the topic only, never through this replica's API.
        send(new SampleJobRequested(jobId, request("{\"model\":\"" + name("nosuchmodel") + "\"}"), "other"));

        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> as(OTHER_KEY)
                        .get("/v1/sample-jobs/" + jobId)
                        .then()
                        .statusCode(200)
                        .body("requestedBy", equalTo("other"))
                        // The sampler refuses the unknown model at once: queued until its refusal is read.
                        .body("state", oneOf("queued", "failed")));
        as(TRAINER_KEY)
                .delete("/v1/sample-jobs/" + jobId)
                .then()
                .statusCode(404)
                .contentType("application/problem+json")
                .body("title", equalTo("unknown sample job"));
        as(TRAINER_KEY)
                .get("/v1/sample-jobs/job-" + UUID.randomUUID())
                .then()
                .statusCode(404)
                .contentType("application/problem+json");
    }

    @Test
    void aJobWhoseEndWasNotHeardAnswersFromItsResultJsonOnceItIsNotFresh() {
        String jobId = "job-" + UUID.randomUUID();
        jobs.requested(jobId, "emoji", "trainer");
        store.putJson(Buckets.SAMPLES, jobId + "/result.json", completed(jobId));

        as(TRAINER_KEY).get("/v1/sample-jobs/" + jobId).then().statusCode(200).body("state", equalTo("queued"));
        await().atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> as(TRAINER_KEY)
                        .get("/v1/sample-jobs/" + jobId)
                        .then()
                        .statusCode(200)
                        .body("state", equalTo("succeeded"))
                        .body("version", equalTo("v3"))
                        .body("results", equalTo(List.of("/v1/sample-jobs/" + jobId + "/files/image-0.png"))));
        assertThat(jobs.get(jobId).orElseThrow().ended())
                .as("folded into the view")
                .isTrue();

        // Known from its result.json alone (the view forgot it, or never heard of it): the submitter the
        // sampler wrote there reads it, no other key does.
        String forgotten = "job-" + UUID.randomUUID();
        store.putJson(Buckets.SAMPLES, forgotten + "/result.json", completed(forgotten, "trainer"));
        as(OTHER_KEY).get("/v1/sample-jobs/" + forgotten).then().statusCode(404);
        as(TRAINER_KEY)
                .get("/v1/sample-jobs/" + forgotten)
                .then()
                .statusCode(200)
                .body("state", equalTo("succeeded"))
                .body("requestedBy", equalTo("trainer"));

        // A result.json written before submitters were recorded: an admin's to read, not any key's.
        String unheard = "job-" + UUID.randomUUID();
        store.putJson(Buckets.SAMPLES, unheard + "/result.json", completed(unheard));
        as(TRAINER_KEY).get("/v1/sample-jobs/" + unheard).then().statusCode(404);
        as(ModelLifecycleApiTest.ADMIN_KEY)
                .get("/v1/sample-jobs/" + unheard)
                .then()
                .statusCode(200)
                .body("state", equalTo("succeeded"));
    }

    @Test
    void aRepeatedJobSubmissionWithTheSameKeyIsTheSameJobSentAndChargedOnce() {
        // 800 evaluations of the key's 1,000: a second charge would be refused for a long while.
        String model = storedForEveryKey(store, name("unloaded"));
        String body = "{\"model\":\"" + model + "\",\"count\":4,\"steps\":200,\"sampler\":\"ddpm\"}";
        String key = "retry-" + UUID.randomUUID();
        Response first = as(IDEMPOTENT_KEY)
                .header("Idempotency-Key", key)
                .contentType("application/json")
                .body(body)
                .post("/v1/sample-jobs");
        first.then().statusCode(202).header("Idempotent-Replayed", (String) null);
        String jobId = first.path("jobId");

        as(IDEMPOTENT_KEY)
                .header("Idempotency-Key", key)
                .contentType("application/json")
                .body(body)
                .post("/v1/sample-jobs")
                .then()
                .statusCode(202)
                .header("Idempotent-Replayed", "true")
                .body("jobId", equalTo(jobId))
                .body("status", equalTo("/v1/sample-jobs/" + jobId));
        // Without the key: a new job, refused since the first was charged.
        as(IDEMPOTENT_KEY)
                .contentType("application/json")
                .body(body)
                .post("/v1/sample-jobs")
                .then()
                .statusCode(429);
        assertThat(records(Topic.SAMPLE_JOBS, jobId)).as("sent once").isEqualTo(1);
    }

    @Test
    void aRepeatedTrainingRequestWithTheSameKeyIsTheSameRunAndAnotherKeysIsAnother() {
        String dataset = name("idemdata");
        storeDataset(store, dataset, "trainer");
        String body = "{\"dataset\":\"" + dataset + "\",\"steps\":5}";
        String key = "train-" + UUID.randomUUID();
        String runId = as(TRAINER_KEY)
                .header("Idempotency-Key", key)
                .contentType("application/json")
                .body(body)
                .post("/v1/trainings")
                .then()
                .statusCode(202)
                .extract()
                .path("runId");
        as(TRAINER_KEY)
                .header("Idempotency-Key", key)
                .contentType("application/json")
                .body(body)
                .post("/v1/trainings")
                .then()
                .statusCode(202)
                .header("Idempotent-Replayed", "true")
                .body("runId", equalTo(runId));
        as(TRAINER_KEY)
                .get("/v1/trainings/" + runId)
                .then()
                .statusCode(200)
                .body("requestedBy", equalTo("trainer"))
                .body("modelName", equalTo(dataset))
                .body("dataset", equalTo(dataset));
        // The other key's own data set, the same model name (not published yet, so free) and idempotency key.
        String othersDataset = name("idemdata");
        storeDataset(store, othersDataset, "other");
        String othersRun = as(OTHER_KEY)
                .header("Idempotency-Key", key)
                .contentType("application/json")
                .body("{\"dataset\":\"" + othersDataset + "\",\"modelName\":\"" + dataset + "\",\"steps\":5}")
                .post("/v1/trainings")
                .then()
                .statusCode(202)
                .header("Idempotent-Replayed", (String) null)
                .extract()
                .path("runId");
        assertThat(othersRun).isNotEqualTo(runId);
        assertThat(records(Topic.TRAINING_REQUESTS, runId)).as("sent once").isEqualTo(1);

        as(TRAINER_KEY)
                .header("Idempotency-Key", "k".repeat(129))
                .contentType("application/json")
                .body(body)
                .post("/v1/trainings")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("field", equalTo("Idempotency-Key"))
                .body("detail", is("header 'Idempotency-Key' must be 1 to 128 characters long, was 129"));
    }

    private static SamplingRequest request(String json) {
        return Json.read(json.getBytes(), SamplingRequest.class);
    }

    private static SampleJobCompleted completed(String jobId) {
        return completed(jobId, null);
    }

    /** A job's result.json as the sampler writes it, naming the key that submitted the job (null: none). */
    private static SampleJobCompleted completed(String jobId, String requestedBy) {
        return new SampleJobCompleted(
                jobId,
                "emoji",
                "v3",
                List.of(new ObjectRef(Buckets.SAMPLES, jobId + "/image-0.png", 3, "a".repeat(64))),
                requestedBy);
    }

    /** Records with {@code key} on the topic, read from its start until nothing more comes for 3 s. */
    private int records(Topic topic, String key) {
        int found = 0;
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(kafka.consumer("test-" + UUID.randomUUID()))) {
            consumer.subscribe(List.of(topic.topicName()));
            long quietSince = System.nanoTime();
            while (System.nanoTime() - quietSince < Duration.ofSeconds(3).toNanos()
                    || found == 0
                            && System.nanoTime() - quietSince
                                    < Duration.ofSeconds(30).toNanos()) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    quietSince = System.nanoTime();
                    if (key.equals(record.key())) {
                        found++;
                    }
                }
            }
        }
        return found;
    }
}
