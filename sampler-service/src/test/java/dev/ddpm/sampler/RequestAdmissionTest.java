package dev.ddpm.sampler;

import dev.ddpm.proto.common.v1.Sampler;
import dev.ddpm.proto.sampler.v1.SampleRequest;
import dev.ddpm.proto.sampler.v1.SamplerServiceGrpc;
import dev.ddpm.service.testing.GaussianModel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Which requests are taken: bad ones answered precisely over REST and gRPC, ones that cannot
 * meet their deadline refused at once, and a full queue refused with a retry hint.
 */
@QuarkusTest
class RequestAdmissionTest extends SamplerTestBase {

    @Test
    void aRequestThatCannotMeetItsDeadlineIsRefusedAtOnce() {
        GaussianModel model =
                publish(new GaussianModel(name("deadline"), "v1", GaussianModel.pattern(3, 64, 0), 0.3, 3, 64));
        given().contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"count\":8,\"steps\":20}")
                .post("/v1/samples")
                .then()
                .statusCode(200); // the batcher has measured its turns
        long start = System.nanoTime();
        given().contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"count\":64,\"sampler\":\"ddpm\",\"deadlineSeconds\":0.05}")
                .post("/v1/samples")
                .then()
                .statusCode(504)
                .contentType("application/problem+json")
                .body("detail", org.hamcrest.Matchers.containsString("cannot finish within its deadline"));
        assertThat((System.nanoTime() - start) / 1e9).as("refused, not queued").isLessThan(2);

        // The caller's own gRPC deadline counts as the request's deadline.
        assertThatThrownBy(() -> result(SamplerServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(300, TimeUnit.MILLISECONDS)
                        .sample(request(model.name(), 1, 64, Sampler.SAMPLER_DDPM, 1000))))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
                    assertThat(e.getStatus().getDescription()).contains("cannot finish within its deadline");
                });
        assertThat(batcher.backlogEvaluations()).isZero();
    }

    @Test
    void aFullQueueIsRefusedWithARetryHint() throws Exception {
        GaussianModel model =
                publish(new GaussianModel(name("busy"), "v1", GaussianModel.pattern(3, 64, 1), 0.3, 3, 64));
        ExecutorService pool = Executors.newFixedThreadPool(12);
        List<Future<Response>> calls = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            calls.add(pool.submit((Callable<Response>) () -> given().contentType("application/json")
                    .body("{\"model\":\"" + model.name() + "\",\"count\":8,\"steps\":60,\"output\":\"grid\"}")
                    .post("/v1/samples")));
        }
        int refused = 0;
        int served = 0;
        for (Future<Response> call : calls) {
            Response r = call.get(120, TimeUnit.SECONDS);
            if (r.statusCode() == 429) {
                refused++;
                assertThat(r.header("Retry-After")).isEqualTo("2");
                assertThat(r.contentType()).startsWith("application/problem+json");
            } else {
                assertThat(r.statusCode()).isEqualTo(200);
                served++;
            }
        }
        pool.shutdownNow();
        System.out.printf("queue overflow: %d served, %d refused%n", served, refused);
        assertThat(refused).isPositive();
        assertThat(served).isGreaterThanOrEqualTo(5); // one running + four queued at least
    }

    @Test
    void badRequestsAreAnsweredPrecisely() {
        GaussianModel model =
                publish(new GaussianModel(name("bad"), "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16));
        given().contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"steps\":5000}")
                .post("/v1/samples")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("field", org.hamcrest.Matchers.equalTo("steps"));
        given().contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"eta\":1.5}")
                .post("/v1/samples")
                .then()
                .statusCode(400)
                .body("field", org.hamcrest.Matchers.equalTo("eta"));
        given().contentType("application/json")
                .body("{\"model\":\"no-such-model\"}")
                .post("/v1/samples")
                .then()
                .statusCode(404);
        given().contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"sampler\":\"dpm++\",\"order\":4}")
                .post("/v1/samples")
                .then()
                .statusCode(400)
                .body("field", org.hamcrest.Matchers.equalTo("order"));
        given().contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"sampler\":\"ddim\",\"order\":2}")
                .post("/v1/samples")
                .then()
                .statusCode(400)
                .body("detail", org.hamcrest.Matchers.containsString("dpm++, unipc, dpm++sde and sa-solver"));
        given().contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"sampler\":\"rk4\"}")
                .post("/v1/samples")
                .then()
                .statusCode(400)
                .body("field", org.hamcrest.Matchers.equalTo("sampler"));
        given().contentType("application/json")
                .body("{\"model\":\"" + model.name() + "\",\"spacing\":\"uniform\"}")
                .post("/v1/samples")
                .then()
                .statusCode(400)
                .body("field", org.hamcrest.Matchers.equalTo("spacing"));
        SampleRequest unipc = request(model.name(), 1, 1, Sampler.SAMPLER_UNIPC, 10);
        SampleRequest orderFive = unipc.toBuilder()
                .setParams(unipc.getParams().toBuilder().setOrder(5))
                .build();
        assertThatThrownBy(
                        () -> result(SamplerServiceGrpc.newBlockingStub(channel).sample(orderFive)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).startsWith("order");
                });
        given().contentType("application/json")
                .body("{\"model\":\"../x\"}")
                .post("/v1/samples")
                .then()
                .statusCode(400);
        assertThatThrownBy(() -> result(sample(model.name(), 1, -2, Sampler.SAMPLER_DDIM, 10)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).startsWith("count");
                });
        assertThatThrownBy(() -> result(sample("no-such-model", 1, 1, Sampler.SAMPLER_DDIM, 10)))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }
}
