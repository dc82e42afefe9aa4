package dev.ddpm.gateway;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

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
        as(VIEWER_KEY).get("/v1/no-such-thing").then().statusCode(404).contentType("application/problem+json");
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
