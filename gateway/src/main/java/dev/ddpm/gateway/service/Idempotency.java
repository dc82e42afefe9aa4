package dev.ddpm.gateway.service;

import dev.ddpm.core.api.RunIds;
import dev.ddpm.core.messaging.Delivery;
import dev.ddpm.core.messaging.MessagingException;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.UUID;

/**
 * Submissions a client may repeat safely: with an idempotency key (HTTP header {@value #HEADER}, gRPC
 * metadata {@value #METADATA}) the run or job id is derived from the caller's key id and that key, so a
 * retry after a timeout or a 503, on any replica, names the same run or job, and a repeat the views
 * already know is answered without being sent or charged again. The key id is part of the id so that
 * two callers who pick the same key never share a submission.
 */
public final class Idempotency {

    public static final String HEADER = "Idempotency-Key";
    public static final String METADATA = "idempotency-key";
    /** Response header on a repeat: the answer is the submission's, nothing was sent this time. */
    public static final String REPLAYED_HEADER = "Idempotent-Replayed";

    static final int MAX_LENGTH = 128;

    /**
     * What a submission came to.
     *
     * @param id       the run or job id
     * @param replayed the id was known already (a repeat of the same key): nothing was sent or charged
     */
    public record Submission(String id, boolean replayed) {}

    private Idempotency() {}

    /**
     * @param key   as the client sent it; null when it sent none
     * @param field where it came: {@link #HEADER} or {@link #METADATA}
     * @return the key, null when none was sent
     * @throws GatewayException 400 naming the field for an empty key, one longer than 128 characters or one
     *     with a character outside printable ASCII (0x20 to 0x7E)
     */
    public static String validate(String key, String field) {
        if (key == null) {
            return null;
        }
        if (key.isEmpty() || key.length() > MAX_LENGTH) {
            throw invalid(field, "must be 1 to " + MAX_LENGTH + " characters long, was " + key.length());
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw invalid(
                        field,
                        String.format(
                                Locale.ROOT,
                                "must be printable ASCII (0x20 to 0x7E); character %d is U+%04X",
                                i + 1,
                                (int) c));
            }
        }
        return key;
    }

    /** The run id of a training request of {@code model} that {@code keyId} made with {@code key}. */
    public static String runId(String model, String keyId, String key) {
        return RunIds.derived(model, seed("run", keyId, key));
    }

    /** The job id of an asynchronous sampling job that {@code keyId} submitted with {@code key}. */
    public static String jobId(String keyId, String key) {
        return "job-" + UUID.nameUUIDFromBytes(seed("job", keyId, key).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The 503 for a submission whose event the broker did not take within {@link Delivery#ACK_WAIT}: the
     * producer has given up on it, so it never arrives, nothing was charged, and a retry is safe.
     *
     * @param what "training request", "sample job"
     */
    static GatewayException notSubmitted(String what, String key, MessagingException cause) {
        return new GatewayException(
                503,
                "not submitted",
                "the " + what + " was not submitted (the broker did not take it: " + cause.getMessage()
                        + "); nothing was charged, and it may be retried"
                        + (key == null
                                ? "; send an " + HEADER + " header to make a retry safe to repeat"
                                : " with the same " + HEADER + " header"));
    }

    private static String seed(String kind, String keyId, String key) {
        // Separated by NUL, which neither a key id nor a printable key holds, so no two triples meet.
        return kind + '\0' + keyId + '\0' + key;
    }

    private static GatewayException invalid(String field, String why) {
        return new GatewayException(
                400,
                "invalid idempotency key",
                (field.equals(HEADER) ? "header '" : "metadata '") + field + "' " + why,
                field);
    }
}
