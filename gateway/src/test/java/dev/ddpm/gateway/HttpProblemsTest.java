package dev.ddpm.gateway;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.ValidatableResponse;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.emptyOrNullString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

/**
 * The HTTP layer's own refusals as problems, and request bodies bound strictly with the field
 * named.
 */
@QuarkusTest
@QuarkusTestResource(RealSampler.class)
class HttpProblemsTest extends GatewayTestBase {

    @Test
    void errorsOfTheHttpLayerAreProblemsToo() {
        as(VIEWER_KEY)
                .put("/v1/models")
                .then()
                .statusCode(405)
                .contentType("application/problem+json")
                .body("detail", containsString("PUT is not allowed"));
        as(VIEWER_KEY)
                .contentType("text/plain")
                .body("hello")
                .post("/v1/samples")
                .then()
                .statusCode(415)
                .contentType("application/problem+json")
                .body("detail", containsString("text/plain"));
        problem(as(VIEWER_KEY).get("/v1/no-such-thing").then(), 404);
        problem(as(VIEWER_KEY).accept("image/png").get("/v1/models").then(), 406);
        problem(as(VIEWER_KEY).delete("/v1/samples").then(), 405);
        problem(
                        as(VIEWER_KEY)
                                .contentType("application/json")
                                .body("{\"model\":")
                                .post("/v1/samples")
                                .then(),
                        400)
                .body("detail", not(emptyOrNullString()));
    }

    /** A response and its whole body. */
    private record Answer(HttpClientResponse response, Buffer body) {}

    private static Answer send(HttpClient client, HttpMethod method, String path, String body, Buffer... more)
            throws Exception {
        HttpClientRequest request = client.request(method, RestAssured.port, "localhost", path)
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        request.putHeader("X-API-Key", VIEWER_KEY);
        // The body is taken as soon as the response comes, whether or not the request has ended.
        CompletableFuture<Answer> answered = request.response()
                .compose(r -> r.body().map(b -> new Answer(r, b)))
                .toCompletionStage()
                .toCompletableFuture();
        if (body == null) {
            request.end();
        } else {
            request.putHeader("Content-Type", "application/json").setChunked(true);
            request.write(body);
            if (more == null) {
                request.end();
            } else {
                for (Buffer part : more) {
                    request.write(part);
                }
            }
        }
        Answer answer = answered.get(30, TimeUnit.SECONDS);
        if (more != null && body != null) {
            request.reset();
        }
        return answer;
    }

    /** The members every problem has, whatever part of the server wrote it. */
    private static ValidatableResponse problem(ValidatableResponse response, int status) {
        return response.statusCode(status)
                .contentType("application/problem+json")
                .body("type", equalTo("about:blank"))
                .body("status", equalTo(status))
                .body("title", not(emptyOrNullString()))
                .body("detail", not(emptyOrNullString()));
    }

    @Inject
    Vertx vertx;

    @Test
    void anHttp2BodyOverTheBoundIsRefusedWithoutBeingReadWhole() throws Exception {
        // h2c with prior knowledge: the body carries neither Content-Length nor Transfer-Encoding.
        HttpClient client = vertx.createHttpClient(
                new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        try {
            Buffer[] kilobytes = new Buffer[20]; // 1.25 MiB, past the 1 MiB gateway.max-json-bytes; never ended
            java.util.Arrays.fill(kilobytes, Buffer.buffer("x".repeat(64 * 1024)));
            Answer refused = send(client, HttpMethod.POST, "/v1/samples", "{\"model\":\"m\",\"pad\":\"", kilobytes);
            assertThat(refused.response().version()).isEqualTo(HttpVersion.HTTP_2);
            assertThat(refused.response().statusCode()).isEqualTo(413);
            assertThat(refused.response().getHeader("Content-Type")).isEqualTo("application/problem+json");
            JsonObject problem = refused.body().toJsonObject();
            assertThat(problem.getInteger("status")).isEqualTo(413);
            assertThat(problem.getString("detail")).contains("gateway.max-json-bytes");

            // Within the bound, an HTTP/2 body of undeclared length is read and bound as usual.
            Answer invalid = send(client, HttpMethod.POST, "/v1/samples", "{}", (Buffer[]) null);
            assertThat(invalid.response().version()).isEqualTo(HttpVersion.HTTP_2);
            assertThat(invalid.response().statusCode()).isEqualTo(400);
            assertThat(invalid.body().toString()).contains("field 'model' is missing");
        } finally {
            client.close();
        }
    }

    @Test
    void requestBodiesAreBoundStrictlyWithTheFieldNamed() {
        as(VIEWER_KEY)
                .contentType("application/json")
                .body("{}")
                .post("/v1/samples")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("field", equalTo("model"))
                .body("detail", containsString("field 'model' is missing"));
        as(VIEWER_KEY)
                .contentType("application/json")
                .body("{\"model\":\"m\",\"count\":\"many\"}")
                .post("/v1/sample-jobs")
                .then()
                .statusCode(400)
                .body("field", equalTo("count"));
        as(VIEWER_KEY)
                .contentType("application/json")
                .body("")
                .post("/v1/samples")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("detail", containsString("empty document"));
        as(TRAINER_KEY)
                .contentType("application/json")
                .body("{\"dataset\":\"d\",\"steps\":0}")
                .post("/v1/trainings")
                .then()
                .statusCode(400)
                .body("field", equalTo("steps"));
        given().accept("application/json")
                .get("/q/openapi")
                .then()
                .statusCode(200)
                .body("components.schemas.SamplingRequest.properties.model.type", equalTo("string"))
                .body("components.schemas.TrainingRequest.properties.dataset.type", equalTo("string"));
    }
}
