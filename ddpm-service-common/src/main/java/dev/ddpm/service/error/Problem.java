package dev.ddpm.service.error;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A refusal or failure as every service reports it, whatever the protocol: the RFC 9457 members
 * (status, title, detail), the request field at fault where one is, how long to wait before the
 * same request may be taken where the service can tell, and the log id of an internal failure.
 * HTTP writes it as problem+json ({@link dev.ddpm.service.rest.Problems}), gRPC as a status with
 * trailers ({@link dev.ddpm.service.grpc.GrpcProblems}), a server-sent event as its {@link #body()}.
 *
 * @param status     the HTTP status, 400..599
 * @param title      short and the same for every occurrence of this kind of problem
 * @param detail     this occurrence, precise enough to act on; never an internal address (taken out here,
 *                   {@link InternalAddresses}, so that no protocol's answer can carry one)
 * @param field      dotted path of the request field at fault; null when none is
 * @param retryAfter wait before retrying; null when the service gives no hint
 * @param errorId    the id under which an internal failure is logged; null otherwise
 * @param members    RFC 9457 extension members (figures a client can act on, such as a quota's limit and
 *                   use), written after the standard ones; empty when none
 */
public record Problem(
        int status,
        String title,
        String detail,
        String field,
        Duration retryAfter,
        String errorId,
        Map<String, Object> members) {

    /** RFC 9457's type for problems whose status and title say all there is to say. */
    public static final String TYPE = "about:blank";

    private static final Set<String> STANDARD_MEMBERS =
            Set.of("type", "title", "status", "detail", "instance", "field", "errorId");

    public Problem {
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("a problem's status is 400..599, was " + status);
        }
        Objects.requireNonNull(title, "title");
        detail = InternalAddresses.scrub(Objects.requireNonNull(detail, "detail"), status);
        if (retryAfter != null && retryAfter.isNegative()) {
            throw new IllegalArgumentException("retryAfter must not be negative, was " + retryAfter);
        }
        members = members == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(members));
    }

    public static Problem of(int status, String title, String detail) {
        return new Problem(status, title, detail, null, null, null, Map.of());
    }

    public Problem withField(String culprit) {
        return new Problem(status, title, detail, culprit, retryAfter, errorId, members);
    }

    public Problem withTitle(String other) {
        return new Problem(status, other, detail, field, retryAfter, errorId, members);
    }

    public Problem withRetryAfter(Duration wait) {
        return new Problem(status, title, detail, field, wait, errorId, members);
    }

    public Problem withErrorId(String id) {
        return new Problem(status, title, detail, field, retryAfter, id, members);
    }

    /** This problem with extension members besides any it has; a standard member's name is refused. */
    public Problem withMembers(Map<String, Object> extra) {
        Map<String, Object> all = new LinkedHashMap<>(members);
        extra.forEach((name, value) -> {
            if (STANDARD_MEMBERS.contains(name)) {
                throw new IllegalArgumentException("'" + name + "' is a standard problem member, not an extension");
            }
            all.put(name, value);
        });
        return new Problem(status, title, detail, field, retryAfter, errorId, all);
    }

    /** The wait in whole seconds as HTTP's Retry-After takes it: rounded up, at least 1; 0 without a hint. */
    public long retryAfterSeconds() {
        return retryAfter == null ? 0 : Math.max(1, (retryAfter.toMillis() + 999) / 1000);
    }

    /**
     * The problem+json members in their fixed order: type, title, status, detail, then field and
     * errorId where they apply, then the extension members. The retry hint travels beside the body
     * (Retry-After, a gRPC trailer).
     */
    public Map<String, Object> body() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", TYPE);
        body.put("title", title);
        body.put("status", status);
        body.put("detail", detail);
        if (field != null) {
            body.put("field", field);
        }
        if (errorId != null) {
            body.put("errorId", errorId);
        }
        body.putAll(members);
        return body;
    }
}
