package dev.ddpm.service.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.messaging.MessagingException;
import dev.ddpm.core.storage.ObjectNotFoundException;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.service.error.Problem;
import dev.ddpm.service.error.ProblemSource;
import jakarta.ws.rs.core.Response;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The one HTTP mapper every service shares: each kind of exception as its problem+json answer. */
class HttpProblemsTest {

    private final HttpProblems mapper = new HttpProblems();

    /** A service's own exception, as GatewayException or the sampler's are. */
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
    void aServicesOwnExceptionKeepsItsStatusTitleAndField() {
        Response answer =
                mapper.problem(new Refused(Problem.of(400, "invalid sampling request", "steps must be in 1..50")
                        .withField("steps")));

        assertThat(answer.getStatus()).isEqualTo(400);
        assertThat(answer.getMediaType()).hasToString(Problems.MEDIA_TYPE);
        assertThat(answer.getHeaderString("Retry-After")).isNull();
        JsonNode body = body(answer);
        assertThat(List.of(body.fieldNames().next(), body.size())).containsExactly("type", 5);
        assertThat(body.get("type").asText()).isEqualTo("about:blank");
        assertThat(body.get("title").asText()).isEqualTo("invalid sampling request");
        assertThat(body.get("status").asInt()).isEqualTo(400);
        assertThat(body.get("detail").asText()).isEqualTo("steps must be in 1..50");
        assertThat(body.get("field").asText()).isEqualTo("steps");
    }

    @Test
    void aRetryHintIsRetryAfterInWholeSecondsRoundedUp() {
        Response answer = mapper.problem(new Refused(
                Problem.of(429, "sampler busy", "the queue is full").withRetryAfter(Duration.ofMillis(2001))));

        assertThat(answer.getStatus()).isEqualTo(429);
        assertThat(answer.getHeaderString("Retry-After")).isEqualTo("3");
        assertThat(body(answer).has("field")).isFalse();
        assertThat(mapper.problem(new Refused(Problem.of(429, "busy", "full").withRetryAfter(Duration.ofMillis(10))))
                        .getHeaderString("Retry-After"))
                .as("at least a second")
                .isEqualTo("1");
    }

    @Test
    void aPayloadThatBrokeItsContractNamesTheField() {
        Response answer = mapper.problem(new InvalidPayloadException("field 'model' is missing", "model"));

        assertThat(answer.getStatus()).isEqualTo(400);
        assertThat(body(answer).get("title").asText()).isEqualTo("invalid request");
        assertThat(body(answer).get("field").asText()).isEqualTo("model");
        assertThat(body(mapper.problem(new InvalidPayloadException("empty document", null)))
                        .has("field"))
                .isFalse();
    }

    @Test
    void dependenciesAwayAre503AndAMissingObject404() {
        assertThat(mapper.problem(new StorageException("s3 at 127.0.0.1:1: connection refused"))
                        .getStatus())
                .isEqualTo(503);
        assertThat(body(mapper.problem(new StorageException("down")))
                        .get("title")
                        .asText())
                .isEqualTo("object store unavailable");
        assertThat(body(mapper.problem(new MessagingException("no broker", null)))
                        .get("title")
                        .asText())
                .isEqualTo("broker unavailable");
        Response missing = mapper.problem(new ObjectNotFoundException("ddpm-runs/r1/checkpoint.json"));
        assertThat(missing.getStatus()).isEqualTo(404);
        assertThat(body(missing).get("title").asText()).isEqualTo("not found");
    }

    @Test
    void anythingElseIs500WithAnErrorIdAndNothingInternal() {
        Response answer = mapper.problem(new IllegalStateException("secret at /var/lib/ddpm"));

        assertThat(answer.getStatus()).isEqualTo(500);
        JsonNode body = body(answer);
        assertThat(body.get("title").asText()).isEqualTo("internal error");
        assertThat(body.get("errorId").asText()).isNotBlank();
        assertThat(body.get("detail").asText())
                .contains(body.get("errorId").asText())
                .doesNotContain("secret");
    }

    private static JsonNode body(Response answer) {
        return Json.parse((byte[]) answer.getEntity(), "problem");
    }
}
