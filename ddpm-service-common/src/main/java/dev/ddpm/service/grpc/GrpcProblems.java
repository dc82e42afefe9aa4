package dev.ddpm.service.grpc;

import dev.ddpm.service.error.Problem;
import dev.ddpm.service.error.ProblemTranslation;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;

import java.time.Duration;
import java.util.regex.Pattern;

/**
 * The one gRPC error mapping of every service, both ways. Out: an exception becomes the
 * {@link Problem} {@link ProblemTranslation} makes of it, then a status whose code follows the HTTP
 * status, whose description is the detail (after {@code field: } where a field is at fault, for
 * people reading it), and whose trailers carry the field ({@link #FIELD}) and the retry hint
 * ({@link #RETRY_AFTER_MS}) as structured values. In: a status a called service answered becomes
 * a problem again, the field and hint read from those trailers.
 */
public final class GrpcProblems {

    /** Trailer: milliseconds after which the same call may be taken (RESOURCE_EXHAUSTED). */
    public static final Metadata.Key<String> RETRY_AFTER_MS =
            Metadata.Key.of("retry-after-ms", Metadata.ASCII_STRING_MARSHALLER);
    /** Trailer: dotted path of the request field at fault (INVALID_ARGUMENT). */
    public static final Metadata.Key<String> FIELD = Metadata.Key.of("field", Metadata.ASCII_STRING_MARSHALLER);

    /** What an ASCII metadata value may hold; a field outside it stays in the description only. */
    private static final Pattern PRINTABLE_ASCII = Pattern.compile("[\\x20-\\x7e]+");

    private GrpcProblems() {}

    /** The status to fail a call with; a status already made (a refusal further down) passes as it is. */
    public static StatusRuntimeException status(Throwable e) {
        if (e instanceof StatusRuntimeException s) {
            return s;
        }
        if (e instanceof StatusException s) {
            return s.getStatus().asRuntimeException(s.getTrailers());
        }
        return status(ProblemTranslation.of(e));
    }

    public static StatusRuntimeException status(Problem problem) {
        Metadata trailers = new Metadata();
        if (problem.field() != null && PRINTABLE_ASCII.matcher(problem.field()).matches()) {
            trailers.put(FIELD, problem.field());
        }
        if (problem.retryAfter() != null) {
            trailers.put(RETRY_AFTER_MS, Long.toString(problem.retryAfter().toMillis()));
        }
        String description = problem.field() == null ? problem.detail() : problem.field() + ": " + problem.detail();
        return code(problem.status()).withDescription(description).asRuntimeException(trailers);
    }

    /** The gRPC code for an HTTP status, as the gRPC-HTTP mapping pairs them. */
    public static Status code(int httpStatus) {
        return switch (httpStatus) {
            case 400, 411, 415 -> Status.INVALID_ARGUMENT;
            case 401 -> Status.UNAUTHENTICATED;
            case 403 -> Status.PERMISSION_DENIED;
            case 404 -> Status.NOT_FOUND;
            case 408 -> Status.DEADLINE_EXCEEDED;
            case 409, 422 -> Status.FAILED_PRECONDITION;
            case 413, 429 -> Status.RESOURCE_EXHAUSTED;
            case 500 -> Status.INTERNAL;
            case 501 -> Status.UNIMPLEMENTED;
            case 504 -> Status.DEADLINE_EXCEEDED;
            default -> httpStatus < 500 ? Status.INVALID_ARGUMENT : Status.UNAVAILABLE;
        };
    }

    /**
     * What a called service's failure means to the caller's own client. Only the codes a client can
     * act on keep their meaning (400, 404, 429, 504, 503); anything else, the called service's own
     * refusal of this service's credentials included, is a 502: the fault lies behind the caller. A
     * RESOURCE_EXHAUSTED without a hint is retried after a second. Titles are generic; the caller
     * names the called service in its own with {@link Problem#withTitle}.
     */
    public static Problem problem(Throwable error) {
        Status status;
        Metadata trailers;
        if (error instanceof StatusRuntimeException e) {
            status = e.getStatus();
            trailers = e.getTrailers();
        } else if (error instanceof StatusException e) {
            status = e.getStatus();
            trailers = e.getTrailers();
        } else {
            return Problem.of(502, "bad gateway", "the call failed: " + error.getMessage());
        }
        int http = switch (status.getCode()) {
            case INVALID_ARGUMENT -> 400;
            case NOT_FOUND -> 404;
            case RESOURCE_EXHAUSTED -> 429;
            case DEADLINE_EXCEEDED -> 504;
            case UNAVAILABLE -> 503;
            default -> 502;
        };
        Problem problem = Problem.of(
                http,
                title(http),
                status.getDescription() != null
                        ? status.getDescription()
                        : "the called service answered " + status.getCode());
        if (trailers != null && trailers.get(FIELD) != null) {
            problem = problem.withField(trailers.get(FIELD));
        }
        if (http == 429) {
            problem = problem.withRetryAfter(retryAfter(trailers));
        }
        return problem;
    }

    private static Duration retryAfter(Metadata trailers) {
        String ms = trailers == null ? null : trailers.get(RETRY_AFTER_MS);
        return ms != null && ms.matches("[0-9]{1,15}") && Long.parseLong(ms) > 0
                ? Duration.ofMillis(Long.parseLong(ms))
                : Duration.ofSeconds(1);
    }

    private static String title(int http) {
        return switch (http) {
            case 400 -> "invalid request";
            case 404 -> "not found";
            case 429 -> "too many requests";
            case 503 -> "service unavailable";
            case 504 -> "deadline exceeded";
            default -> "bad gateway";
        };
    }
}
