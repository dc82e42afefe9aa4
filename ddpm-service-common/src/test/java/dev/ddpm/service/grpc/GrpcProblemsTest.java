package dev.ddpm.service.grpc;

import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.lifecycle.LifecycleException;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.service.error.Problem;
import dev.ddpm.service.error.ProblemSource;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The one gRPC mapper: exceptions out as status and trailers, a called service's status back as a problem. */
class GrpcProblemsTest {

    static final class Refused extends RuntimeException implements ProblemSource {
        private final Problem problem;

        Refused(Problem problem) {
            super(problem.detail());
            this.problem = problem;
        }

        @Override
        public Problem problem() {
            return problem;
        }
    }

    @Test
    void theFieldAtFaultIsATrailerAndStartsTheDescription() {
        StatusRuntimeException status = GrpcProblems.status(
                new Refused(Problem.of(400, "invalid sampling request", "steps must be in 1..50, was 5000")
                        .withField("steps")));

        assertThat(status.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(status.getStatus().getDescription()).isEqualTo("steps: steps must be in 1..50, was 5000");
        assertThat(status.getTrailers().get(GrpcProblems.FIELD)).isEqualTo("steps");
        assertThat(status.getTrailers().get(GrpcProblems.RETRY_AFTER_MS)).isNull();
    }

    @Test
    void aRetryHintIsATrailerInMilliseconds() {
        StatusRuntimeException status = GrpcProblems.status(
                new Refused(Problem.of(429, "sampler busy", "full").withRetryAfter(Duration.ofMillis(2500))));

        assertThat(status.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(status.getTrailers().get(GrpcProblems.RETRY_AFTER_MS)).isEqualTo("2500");
        assertThat(status.getTrailers().get(GrpcProblems.FIELD)).isNull();
        assertThat(GrpcProblems.RETRY_AFTER_MS.name()).isEqualTo("retry-after-ms");
    }

    @Test
    void sharedExceptionsHaveTheCodesOfTheirHttpStatuses() {
        StatusRuntimeException invalid = GrpcProblems.status(
                new InvalidPayloadException("field 'model.name' must " + "not be blank", "model.name"));
        assertThat(invalid.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(invalid.getTrailers().get(GrpcProblems.FIELD)).isEqualTo("model.name");
        assertThat(GrpcProblems.status(new StorageException("down")).getStatus().getCode())
                .isEqualTo(Status.Code.UNAVAILABLE);
        StatusRuntimeException internal = GrpcProblems.status(new IllegalStateException("secret at /var/lib/ddpm"));
        assertThat(internal.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(internal.getStatus().getDescription()).contains("error id").doesNotContain("secret");
        StatusRuntimeException production = GrpcProblems.status(
                new LifecycleException(LifecycleException.Kind.CONFLICT, "version v1 is production of model 'm'"));
        assertThat(production.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(production.getStatus().getDescription()).isEqualTo("version v1 is production of model 'm'");
        assertThat(GrpcProblems.status(new LifecycleException(LifecycleException.Kind.NOT_FOUND, "no version"))
                        .getStatus()
                        .getCode())
                .isEqualTo(Status.Code.NOT_FOUND);

        assertThat(GrpcProblems.code(401).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(GrpcProblems.code(403).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(GrpcProblems.code(404).getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(GrpcProblems.code(409).getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(GrpcProblems.code(413).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(GrpcProblems.code(415).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(GrpcProblems.code(503).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(GrpcProblems.code(504).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    }

    @Test
    void aStatusAlreadyMadePassesAsItIs() {
        StatusRuntimeException made =
                Status.PERMISSION_DENIED.withDescription("no").asRuntimeException();
        assertThat(GrpcProblems.status(made)).isSameAs(made);
    }

    @Test
    void readBackTheFieldComesFromTheTrailerNotTheDescription() {
        Problem sent = Problem.of(400, "invalid sampling request", "order applies to dpm++ and unipc: was ddim")
                .withField("order");

        Problem read = GrpcProblems.problem(GrpcProblems.status(sent));

        assertThat(read.status()).isEqualTo(400);
        assertThat(read.field()).isEqualTo("order");
        assertThat(read.detail()).isEqualTo("order: order applies to dpm++ and unipc: was ddim");
        Metadata none = new Metadata();
        assertThat(GrpcProblems.problem(Status.INVALID_ARGUMENT
                                .withDescription("steps: too many")
                                .asRuntimeException(none))
                        .field())
                .as("no trailer, no field")
                .isNull();
    }

    @Test
    void readBackKeepsTheRetryHintAndDefaultsItToASecond() {
        Problem read = GrpcProblems.problem(
                GrpcProblems.status(Problem.of(429, "sampler busy", "full").withRetryAfter(Duration.ofMillis(4200))));
        assertThat(read.status()).isEqualTo(429);
        assertThat(read.retryAfter()).isEqualTo(Duration.ofMillis(4200));
        assertThat(read.retryAfterSeconds()).isEqualTo(5);

        assertThat(GrpcProblems.problem(Status.RESOURCE_EXHAUSTED.asRuntimeException())
                        .retryAfter())
                .isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void readBackKeepsWhatTheClientCanActOnAndMakesTheRestBadGateway() {
        assertThat(GrpcProblems.problem(Status.NOT_FOUND.asRuntimeException()).status())
                .isEqualTo(404);
        assertThat(GrpcProblems.problem(Status.DEADLINE_EXCEEDED.asRuntimeException())
                        .status())
                .isEqualTo(504);
        assertThat(GrpcProblems.problem(Status.UNAVAILABLE.asRuntimeException()).status())
                .isEqualTo(503);
        Problem credentials = GrpcProblems.problem(
                Status.UNAUTHENTICATED.withDescription("operator key").asRuntimeException());
        assertThat(credentials.status())
                .as("this service's own key refused: not the client's fault")
                .isEqualTo(502);
        assertThat(credentials.detail()).isEqualTo("operator key");
        assertThat(GrpcProblems.problem(Status.INTERNAL.asRuntimeException()).detail())
                .contains("INTERNAL");
        Problem broken = GrpcProblems.problem(new IllegalStateException("channel shut down"));
        assertThat(broken.status()).isEqualTo(502);
        assertThat(broken.detail()).contains("channel shut down");
    }
}
