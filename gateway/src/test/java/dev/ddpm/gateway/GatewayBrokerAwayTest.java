package dev.ddpm.gateway;

import dev.ddpm.core.storage.ArtifactStore;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * Submissions the broker does not take (the outgoing channels point at a broker that is not there, and
 * give up after a second instead of Delivery.TIMEOUT): a 503 that says nothing was submitted or charged
 * and that the same request may be retried with its Idempotency-Key.
 */
@QuarkusTest
@TestProfile(GatewayBrokerAwayTest.SubmissionsNotTaken.class)
class GatewayBrokerAwayTest {

    /** Only the submissions' channels lose the broker: the rest of the gateway starts as usual. */
    public static class SubmissionsNotTaken implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> overrides = new HashMap<>();
            for (String channel : List.of("sample-jobs", "training-requests")) {
                String prefix = "mp.messaging.outgoing." + channel + ".";
                overrides.put(prefix + "bootstrap.servers", "127.0.0.1:1");
                overrides.put(prefix + "max.block.ms", "1000");
                overrides.put(prefix + "request.timeout.ms", "1000");
                overrides.put(prefix + "delivery.timeout.ms", "2000");
            }
            return overrides;
        }
    }

    @Inject
    ArtifactStore store;

    @Test
    void aJobTheBrokerDidNotTakeIsA503ThatChargesNothing() {
        // 800 of the frugal key's 1,000 evaluations (10 more a second): a charged first try refuses the second.
        String model = GatewayTestBase.storedForEveryKey(
                store, "away-" + UUID.randomUUID().toString().substring(0, 8));
        String body = "{\"model\":\"" + model + "\",\"count\":4,\"steps\":200,\"sampler\":\"ddpm\"}";
        String key = "retry-" + UUID.randomUUID();
        for (int attempt = 0; attempt < 2; attempt++) {
            given().header("X-API-Key", "test-key-frugal")
                    .header("Idempotency-Key", key)
                    .contentType("application/json")
                    .body(body)
                    .post("/v1/sample-jobs")
                    .then()
                    .statusCode(503)
                    .contentType("application/problem+json")
                    .body("title", equalTo("not submitted"))
                    .body("detail", containsString("the sample job was not submitted"))
                    .body("detail", containsString("nothing was charged"))
                    .body("detail", containsString("retried with the same Idempotency-Key header"));
        }
    }

    @Test
    void aRepeatWhileTheFirstIsInFlightWaitsForItAndIsChargedOnlyOnceTheFirstWasNot() throws Exception {
        // As above, 800 of 1,000: were the repeat charged while the first still holds its 800, it would be a 429.
        String model = GatewayTestBase.storedForEveryKey(
                store, "away-" + UUID.randomUUID().toString().substring(0, 8));
        String body = "{\"model\":\"" + model + "\",\"count\":4,\"steps\":200,\"sampler\":\"ddpm\"}";
        String key = "overlap-" + UUID.randomUUID();
        Callable<Integer> submit = () -> given().header("X-API-Key", "test-key-frugal")
                .header("Idempotency-Key", key)
                .contentType("application/json")
                .body(body)
                .post("/v1/sample-jobs")
                .statusCode();
        ExecutorService clients = Executors.newFixedThreadPool(2);
        try {
            Future<Integer> first = clients.submit(submit);
            // Well inside the second the first spends waiting for a broker that is not there.
            Thread.sleep(300);
            Future<Integer> repeat = clients.submit(submit);

            assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(503);
            assertThat(repeat.get(30, TimeUnit.SECONDS))
                    .as("the repeat waited for the first, then was submitted (and refused) on its own")
                    .isEqualTo(503);
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void aTrainingRequestTheBrokerDidNotTakeIsA503ThatSaysSo() {
        String dataset = "away-" + UUID.randomUUID().toString().substring(0, 8);
        GatewayTestBase.storeDataset(store, dataset, "trainer");
        given().header("X-API-Key", GatewayTestBase.TRAINER_KEY)
                .contentType("application/json")
                .body("{\"dataset\":\"" + dataset + "\",\"steps\":5}")
                .post("/v1/trainings")
                .then()
                .statusCode(503)
                .contentType("application/problem+json")
                .body("title", equalTo("not submitted"))
                .body("detail", containsString("the training request was not submitted"))
                .body("detail", containsString("send an Idempotency-Key header to make a retry safe"));
        given().header("X-API-Key", GatewayTestBase.TRAINER_KEY)
                .get("/v1/trainings")
                .then()
                .statusCode(200)
                .body("findAll { it.dataset == '" + dataset + "' }.size()", equalTo(0));
    }
}
