package dev.ddpm.gateway;

import dev.ddpm.core.events.DatasetUpdated;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.image.ImageEncoding;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.service.testing.GaussianModel;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

/**
 * Data set uploads: checked, stored and announced, bounded per endpoint (declared and
 * chunked), and stored whole when within the limit.
 */
@QuarkusTest
@QuarkusTestResource(RealSampler.class)
class DatasetUploadTest extends GatewayTestBase {

    @Test
    void dataSetsAreCheckedStoredAndAnnounced() {
        String dataset = name("ds");
        byte[] png = ImageEncoding.png(GaussianModel.pattern(1, 16, 0), 1, 16);
        as(TRAINER_KEY)
                .contentType("application/octet-stream")
                .body(png)
                .post("/v1/datasets/" + dataset + "?file=a.png")
                .then()
                .statusCode(201)
                .body("format", equalTo("png"))
                .body("objects", equalTo(1));
        as(TRAINER_KEY)
                .contentType("application/octet-stream")
                .body("hello, not an image".getBytes())
                .post("/v1/datasets/" + dataset + "?file=b.txt")
                .then()
                .statusCode(415);
        as(TRAINER_KEY)
                .contentType("application/octet-stream")
                .body(png)
                .post("/v1/datasets/..%2Fescape")
                .then()
                .statusCode(400);
        as(TRAINER_KEY).get("/v1/datasets").then().statusCode(200).body("name", hasItem(dataset));
        DatasetUpdated updated = (DatasetUpdated) awaitEvent(Topic.DATASETS, dataset, DatasetUpdated.class::isInstance);
        assertThat(updated.origin()).isEqualTo("gateway:trainer");
        assertThat(updated.objectCount()).isEqualTo(1);
    }

    @Test
    void bodiesAreBoundedPerEndpointAndUploadsStreamWhole() throws Exception {
        String dataset = name("big");
        byte[] png = ImageEncoding.png(GaussianModel.pattern(1, 16, 0), 1, 16);
        byte[] tooLarge = Arrays.copyOf(png, 3 << 20); // a PNG's magic, then past the test's 2 MiB
        // Declared too large: refused before a byte is read.
        as(TRAINER_KEY)
                .contentType("application/octet-stream")
                .body(tooLarge)
                .post("/v1/datasets/" + dataset)
                .then()
                .statusCode(413)
                .contentType("application/problem+json")
                .body("detail", containsString("gateway.max-upload-bytes"));
        // Chunked, so only counting on the way to S3 can stop it; nothing appears.
        HttpResponse<String> chunked = chunkedPost("/v1/datasets/" + dataset + "?file=big.png", tooLarge);
        assertThat(chunked.statusCode()).isEqualTo(413);
        assertThat(chunked.body()).contains("nothing was stored");
        assertThat(store.list(Buckets.DATASETS, dataset + "/")).isEmpty();
        // A chunked upload within the limit is stored whole, with its sha256.
        byte[] fits = Arrays.copyOf(png, (3 << 20) / 2);
        HttpResponse<String> stored = chunkedPost("/v1/datasets/" + dataset + "?file=fits.png", fits);
        assertThat(stored.statusCode()).as(stored.body()).isEqualTo(201);
        assertThat(store.get(Buckets.DATASETS, dataset + "/fits.png")).isEqualTo(fits);
        assertThat(store.list(Buckets.DATASETS, dataset + "/")).hasSize(1);
        assertThat(store.list(Buckets.DATASETS, ArtifactStore.STAGING_PREFIX)).isEmpty();
        // JSON bodies are small, and of known length.
        String padded = "{\"model\":\"m\",\"pad\":\"" + "x".repeat(1_100_000) + "\"}";
        as(VIEWER_KEY)
                .contentType("application/json")
                .body(padded)
                .post("/v1/samples")
                .then()
                .statusCode(413)
                .contentType("application/problem+json")
                .body("detail", containsString("gateway.max-json-bytes"));
        HttpResponse<String> chunkedJson = chunkedPost("/v1/samples", "{\"model\":\"m\"}".getBytes());
        assertThat(chunkedJson.statusCode()).isEqualTo(411);
    }

    private HttpResponse<String> chunkedPost(String path, byte[] body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(
                        URI.create("http://localhost:" + io.restassured.RestAssured.port + path))
                .header("X-API-Key", TRAINER_KEY)
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                .build();
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .build()
                .send(request, HttpResponse.BodyHandlers.ofString());
    }
}
