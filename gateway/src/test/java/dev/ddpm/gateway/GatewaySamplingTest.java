package dev.ddpm.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ddpm.core.json.Json;
import dev.ddpm.service.testing.GaussianModel;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

/**
 * Sampling through the gateway: plain, streamed (SSE) and as video, the solvers' settings
 * reaching the sampler, validation, models. Clients that leave: {@link GatewayCancellationTest}.
 */
@QuarkusTest
@QuarkusTestResource(RealSampler.class)
class GatewaySamplingTest extends GatewayTestBase {

    @Test
    void samplingThroughTheGatewayPlainAndStreamed() throws Exception {
        GaussianModel model = publish(new GaussianModel(name("gw"), "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16));

        Response png = as(VIEWER_KEY)
                .contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"steps\":20,\"seed\":3}")
                .post("/v1/samples");
        png.then().statusCode(200).contentType("image/png").header("X-Model-Version", "v1");
        assertThat(ImageIO.read(new ByteArrayInputStream(png.asByteArray())).getWidth())
                .isEqualTo(16);

        String stream = as(VIEWER_KEY)
                .accept("text/event-stream")
                .contentType("application/json")
                .body("{\"model\":\"" + model.name()
                        + "\",\"count\":2,\"steps\":10,\"previewEvery\":5,\"output\":\"grid\"}")
                .post("/v1/samples")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertThat(stream).contains("event:progress", "event:preview", "event:result", "\"version\":\"v1\"");
        assertThat(stream.indexOf("event:result")).isGreaterThan(stream.lastIndexOf("event:progress"));

        as(VIEWER_KEY)
                .contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"steps\":5000}")
                .post("/v1/samples")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("field", equalTo("steps"));
        // The same refusal streamed: an error event with the problem+json members, the field the
        // sampler sent as a gRPC trailer.
        String refused = as(VIEWER_KEY)
                .accept("text/event-stream")
                .contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"steps\":5000}")
                .post("/v1/samples")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        Matcher error = Pattern.compile("event:error\\s+data:(.*)").matcher(refused);
        assertThat(error.find()).as(refused).isTrue();
        JsonNode problem = Json.parse(error.group(1).getBytes(StandardCharsets.UTF_8), "SSE error");
        assertThat(problem.get("type").asText()).isEqualTo("about:blank");
        assertThat(problem.get("title").asText()).isEqualTo("invalid sampling request");
        assertThat(problem.get("status").asInt()).isEqualTo(400);
        assertThat(problem.get("field").asText()).isEqualTo("steps");
        assertThat(problem.get("detail").asText()).contains("steps");
        as(VIEWER_KEY)
                .contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"count\":1000}")
                .post("/v1/samples")
                .then()
                .statusCode(400)
                .body("field", equalTo("count"));
        as(VIEWER_KEY)
                .contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"eta\":2}")
                .post("/v1/samples")
                .then()
                .statusCode(400)
                .body("field", equalTo("eta"));
        as(VIEWER_KEY)
                .contentType("application/json")
                .body("{\"model\":\"../etc/passwd\"}")
                .post("/v1/samples")
                .then()
                .statusCode(400)
                .body("field", equalTo("model"));
        as(VIEWER_KEY)
                .contentType("application/json")
                .body("{\"model\":\"no-such-model\"}")
                .post("/v1/samples")
                .then()
                .statusCode(404)
                .contentType("application/problem+json");
        as(VIEWER_KEY)
                .contentType("application/json")
                .body("{not json")
                .post("/v1/samples")
                .then()
                .statusCode(400);

        // The ODE solvers and their settings reach the sampler: Heun's 2N - 1 calls show in the progress,
        // and the spacing changes the image the seed gives.
        String heun = as(VIEWER_KEY)
                .accept("text/event-stream")
                .contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"sampler\":\"heun\",\"steps\":5}")
                .post("/v1/samples")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertThat(heun).contains("\"totalSteps\":9", "event:result");
        byte[] linspace = as(VIEWER_KEY)
                .contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"sampler\":\"dpm++\",\"order\":3,\"steps\":8,\"seed\":3}")
                .post("/v1/samples")
                .asByteArray();
        byte[] karras = as(VIEWER_KEY)
                .contentType("application/json")
                .body("{\"model\":\"" + model.name()
                        + "\",\"sampler\":\"dpm++\",\"order\":3,\"steps\":8,\"seed\":3,\"spacing\":\"karras\"}")
                .post("/v1/samples")
                .asByteArray();
        assertThat(karras).isNotEqualTo(linspace);
        as(VIEWER_KEY)
                .contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"sampler\":\"ddim\",\"order\":2}")
                .post("/v1/samples")
                .then()
                .statusCode(400)
                .body("field", equalTo("order"));

        // The stochastic samplers and dynamic thresholding reach the sampler: the threshold changes the image
        // the seed gives (at percentile 1, x_0 is divided by its largest |x_0|, where it passes 1 near the end).
        // An unknown sampler's refusal names every sampler; a threshold outside (0, 1] is a 400.
        String sde = "{\"model\":\"" + model.name() + "\",\"sampler\":\"dpm++sde\",\"steps\":10,\"seed\":3";
        byte[] clipped = as(VIEWER_KEY)
                .contentType("application/json")
                .body(sde + "}")
                .post("/v1/samples")
                .then()
                .statusCode(200)
                .extract()
                .asByteArray();
        byte[] thresholded = as(VIEWER_KEY)
                .contentType("application/json")
                .body(sde + ",\"threshold\":1}")
                .post("/v1/samples")
                .then()
                .statusCode(200)
                .extract()
                .asByteArray();
        assertThat(thresholded).isNotEqualTo(clipped);
        as(VIEWER_KEY)
                .contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"sampler\":\"euler-ancestral\",\"steps\":6}")
                .post("/v1/samples")
                .then()
                .statusCode(200)
                .contentType("image/png");
        as(VIEWER_KEY)
                .contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"sampler\":\"rk4\"}")
                .post("/v1/samples")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("field", equalTo("sampler"))
                .body(
                        "detail",
                        containsString("must be ddpm, ddim, dpm++, unipc, euler, heun, dpm++sde, euler-ancestral or "
                                + "sa-solver, was 'rk4'"));
        as(VIEWER_KEY)
                .contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"threshold\":1.5}")
                .post("/v1/samples")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("field", equalTo("threshold"))
                .body("detail", containsString("field 'threshold' must be a percentile in (0, 1], was 1.5"));

        // The reverse process as a video: both files as JSON, or the one file the client accepts.
        String video = "{\"model\":\"" + model.name() + "\",\"count\":2,\"steps\":10,\"output\":\"video\"}";
        as(VIEWER_KEY)
                .contentType("application/json")
                .body(video)
                .post("/v1/samples")
                .then()
                .statusCode(200)
                .contentType("application/json")
                .body("images.mediaType", org.hamcrest.Matchers.contains("image/gif", "video/mp4"));
        byte[] mp4 = as(VIEWER_KEY)
                .accept("video/mp4")
                .contentType("application/json")
                .body(video)
                .post("/v1/samples")
                .then()
                .statusCode(200)
                .contentType("video/mp4")
                .extract()
                .asByteArray();
        assertThat(new String(mp4, 4, 4, StandardCharsets.US_ASCII))
                .as("an MP4's ftyp box")
                .isEqualTo("ftyp");
        byte[] gif = as(VIEWER_KEY)
                .accept("image/gif")
                .contentType("application/json")
                .body(video)
                .post("/v1/samples")
                .then()
                .statusCode(200)
                .contentType("image/gif")
                .extract()
                .asByteArray();
        assertThat(new String(gif, 0, 6, StandardCharsets.US_ASCII)).isEqualTo("GIF89a");

        as(VIEWER_KEY)
                .get("/v1/models/" + model.name())
                .then()
                .statusCode(200)
                .body("version", equalTo("v1"))
                .body("versions", hasItem("v1"))
                .body("manifest.image.width", equalTo(16));
        as(VIEWER_KEY).get("/v1/models").then().statusCode(200).body("name", hasItem(model.name()));
        as(VIEWER_KEY).get("/v1/models/no-such-model").then().statusCode(404);
    }
}
