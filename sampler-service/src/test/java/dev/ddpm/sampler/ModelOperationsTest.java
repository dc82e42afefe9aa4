package dev.ddpm.sampler;

import dev.ddpm.proto.common.v1.ListModelsRequest;
import dev.ddpm.proto.sampler.v1.SamplerServiceGrpc;
import dev.ddpm.service.testing.GaussianModel;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The operator routes: the operator key over HTTP and gRPC, pinning, loading and unloading
 * versions, and the cap on pinned versions.
 */
@QuarkusTest
class ModelOperationsTest extends SamplerTestBase {

    @Test
    void operatorRoutesNeedTheOperatorKeyOverHttpAndGrpc() throws InterruptedException {
        RestAssured.given()
                .delete("/v1/models/anything")
                .then()
                .statusCode(401)
                .contentType("application/problem+json")
                .body("detail", org.hamcrest.Matchers.containsString("x-operator-key"));
        RestAssured.given()
                .header("x-operator-key", "wrong")
                .contentType("application/json")
                .body("{\"model\":\"m\"}")
                .post("/v1/samples")
                .then()
                .statusCode(401)
                .body("detail", org.hamcrest.Matchers.containsString("not valid"));
        given().get("/q/health/live").then().statusCode(200);
        ManagedChannel bare = ManagedChannelBuilder.forAddress("localhost", RestAssured.port)
                .usePlaintext()
                .build();
        try {
            assertThatThrownBy(() ->
                            SamplerServiceGrpc.newBlockingStub(bare).listModels(ListModelsRequest.getDefaultInstance()))
                    .isInstanceOfSatisfying(
                            StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
        } finally {
            bare.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        // With the key, the same calls are served: the listing names a model published here, at its version.
        GaussianModel listed =
                publish(new GaussianModel(name("listed"), "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16));
        assertThat(SamplerServiceGrpc.newBlockingStub(channel)
                        .listModels(ListModelsRequest.getDefaultInstance())
                        .getModelsList())
                .filteredOn(info -> info.getName().equals(listed.name()))
                .singleElement()
                .satisfies(info -> assertThat(info.getVersion()).isEqualTo("v1"));
    }

    @Test
    void pinnedVersionsBeyondTheCapAreUnloadedLeastRecentlyUsedFirst() {
        String name = name("pins");
        for (int v = 1; v <= 4; v++) {
            publish(new GaussianModel(name, "v" + v, GaussianModel.pattern(1, 16, v), 0.2, 1, 16));
        }
        for (String version : List.of("v1", "v2", "v1", "v3")) {
            given().contentType("application/json")
                    .body("{\"model\":\"" + name + "\",\"version\":\"" + version + "\",\"steps\":2}")
                    .post("/v1/samples")
                    .then()
                    .statusCode(200)
                    .header("X-Model-Version", version);
        }
        // Two pinned at most (test profile): v2, used least recently, made room for v3.
        assertThat(registry.pinnedVersions())
                .filteredOn(k -> k.startsWith(name + "/"))
                .containsExactly(name + "/v1", name + "/v3");
    }

    @Test
    void operatorsPinLoadAndUnloadVersions() {
        String name = name("ops");
        publish(new GaussianModel(name, "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16));
        publish(new GaussianModel(name, "v2", GaussianModel.pattern(1, 16, 2), 0.3, 1, 16));
        // A request may pin a version; the current one is the newer.
        given().contentType("application/json")
                .body("{\"model\":\"" + name + "\",\"version\":\"v1\",\"steps\":5}")
                .post("/v1/samples")
                .then()
                .statusCode(200)
                .header("X-Model-Version", "v1");
        given().contentType("application/json")
                .body("{\"model\":\"" + name + "\",\"steps\":5}")
                .post("/v1/samples")
                .then()
                .statusCode(200)
                .header("X-Model-Version", "v2");
        given().contentType("application/json")
                .body("{\"model\":\"" + name + "\",\"version\":\"v9\"}")
                .post("/v1/samples")
                .then()
                .statusCode(404);
        given().get("/v1/models/" + name)
                .then()
                .statusCode(200)
                .body("loaded.version", org.hamcrest.Matchers.equalTo("v2"))
                .body("versions", org.hamcrest.Matchers.contains("v2", "v1"));
        given().delete("/v1/models/" + name).then().statusCode(204);
        given().contentType("application/json")
                .body("{\"model\":\"" + name + "\",\"steps\":5}")
                .post("/v1/samples")
                .then()
                .statusCode(404);
        given().post("/v1/models/" + name + "/load")
                .then()
                .statusCode(200)
                .body("version", org.hamcrest.Matchers.equalTo("v2"));
        given().get("/v1/models").then().statusCode(200).body("name", org.hamcrest.Matchers.hasItem(name));
        given().get("/q/metrics")
                .then()
                .statusCode(200)
                .body(org.hamcrest.Matchers.containsString("ddpm_sampler_execution_provider{provider=\"cpu\"} 1.0"))
                // the version served by default, and only that one, for the dashboard's model-versions panel
                .body(org.hamcrest.Matchers.containsString(
                        "ddpm_sampler_model_info{model=\"" + name + "\",version=\"v2\"} 1.0"))
                .body(org.hamcrest.Matchers.not(org.hamcrest.Matchers.containsString(
                        "ddpm_sampler_model_info{model=\"" + name + "\",version=\"v1\"}")));
    }
}
