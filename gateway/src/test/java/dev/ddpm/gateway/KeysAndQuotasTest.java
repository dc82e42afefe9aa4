package dev.ddpm.gateway;

import dev.ddpm.service.testing.GaussianModel;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

/**
 * Who may call what, and how much: keys and scopes guard the API but not health, and a key
 * is held to its own request rate and to its quota in network evaluations.
 */
@QuarkusTest
@QuarkusTestResource(RealSampler.class)
class KeysAndQuotasTest extends GatewayTestBase {

    @Test
    void keysAndScopesGuardTheApiButNotHealth() {
        given().get("/v1/models")
                .then()
                .statusCode(401)
                .contentType("application/problem+json")
                .header("WWW-Authenticate", containsString("Bearer"));
        given().header("X-API-Key", "not-a-key").get("/v1/models").then().statusCode(401);
        as(VIEWER_KEY).get("/v1/models").then().statusCode(200);
        given().header("Authorization", "Bearer " + VIEWER_KEY)
                .get("/v1/models")
                .then()
                .statusCode(200);
        as(VIEWER_KEY)
                .contentType("application/json")
                .body("{\"dataset\":\"x\",\"steps\":10}")
                .post("/v1/trainings")
                .then()
                .statusCode(403)
                .body("detail", containsString("'train' scope"));
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200);
        given().get("/q/openapi").then().statusCode(200).body(containsString("/v1/samples"));
    }

    @Test
    void aKeyOverItsRateIsToldWhenToComeBack() {
        // The key's own quota (burst 5, one more every 5 s; the default is 40 and 10/s): the sixth request
        // is refused unless the first five took 5 s, which a cheap in-memory lookup never does.
        int firstRefused = -1;
        for (int i = 1; i <= 12 && firstRefused < 0; i++) {
            Response r = as("test-key-burst").get("/v1/sample-jobs/job-unknown");
            if (r.statusCode() == 429) {
                firstRefused = i;
                assertThat(Long.parseLong(r.header("Retry-After")))
                        .as("seconds to the next token")
                        .isBetween(1L, 5L);
            }
        }
        assertThat(firstRefused).as("the request the key's burst of 5 refuses").isBetween(6, 7);
    }

    @Test
    void aKeyIsHeldToItsQuotaInNetworkEvaluations() {
        GaussianModel model =
                publish(new GaussianModel(name("gwquota"), "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16));
        String large = "{\"model\":\"" + model.name() + "\",\"count\":4,\"sampler\":\"ddpm\",\"steps\":200}";
        as("test-key-frugal")
                .contentType("application/json")
                .body(large)
                .post("/v1/samples")
                .then()
                .statusCode(200);
        // 800 of the key's 1,000 spent: the same again is refused at a normal request rate ...
        Response refused = as("test-key-frugal")
                .contentType("application/json")
                .body(large)
                .post("/v1/samples");
        refused.then()
                .statusCode(429)
                .contentType("application/problem+json")
                .body("detail", containsString("needs 800 (4 images x 200 evaluations)"));
        assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(50L, 61L);
        // ... while a small request fits what is left.
        as("test-key-frugal")
                .contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"steps\":10}")
                .post("/v1/samples")
                .then()
                .statusCode(200);
    }

    @Test
    void whatTheGatewayOrTheSamplerRefusesCostsNothing() {
        GaussianModel model =
                publish(new GaussianModel(name("gwrefund"), "v1", GaussianModel.pattern(1, 16, 1), 0.3, 1, 16));
        // Steps beyond the model's T are refused before any charge: 64 x 2^31 evaluations would be years of debt.
        as("test-key-thrifty")
                .contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"count\":64,\"sampler\":\"ddpm\",\"steps\":2147483647}")
                .post("/v1/samples")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("field", org.hamcrest.Matchers.equalTo("steps"))
                .body("detail", containsString("must be in 1..1000 for model " + model.name()));
        // The sampler refuses what it does not serve: the charge (900 of the key's 1,000) is given back.
        as("test-key-thrifty")
                .contentType("application/json")
                .body("{\"model\":\"" + name("no-such-model") + "\",\"sampler\":\"ddim\",\"steps\":900}")
                .post("/v1/samples")
                .then()
                .statusCode(404);
        String stream = as("test-key-thrifty")
                .accept("text/event-stream")
                .contentType("application/json")
                .body("{\"model\":\"" + name("no-such-model") + "\",\"sampler\":\"ddim\",\"steps\":900}")
                .post("/v1/samples")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertThat(stream).contains("event:error", "\"status\":404");
        // So the whole burst is still there (it refills at 1 a second).
        as("test-key-thrifty")
                .contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"sampler\":\"ddim\",\"steps\":900}")
                .post("/v1/samples")
                .then()
                .statusCode(200);
    }
}
