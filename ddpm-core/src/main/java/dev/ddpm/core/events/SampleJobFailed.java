package dev.ddpm.core.events;

import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

/**
 * An asynchronous job could not be completed. Key: job id.
 *
 * @param cancelled   the job ended because a client cancelled it (absent: false)
 * @param requestedBy the API key id that submitted the job (its SampleJobRequested's); absent: not recorded
 */
public record SampleJobFailed(
        String jobId,
        String reason,
        @OptionalField Boolean cancelled,
        @OptionalField String requestedBy) implements EventData {

    public SampleJobFailed {
        Require.safeName(jobId, "jobId");
        Require.nonBlank(reason, "reason");
        cancelled = cancelled != null && cancelled;
    }

    public SampleJobFailed(String jobId, String reason, Boolean cancelled) {
        this(jobId, reason, cancelled, null);
    }

    public SampleJobFailed(String jobId, String reason) {
        this(jobId, reason, false);
    }

    /** The same failure, naming the key that submitted the job. */
    public SampleJobFailed withRequestedBy(String keyId) {
        return new SampleJobFailed(jobId, reason, cancelled, keyId);
    }

    @Override
    public String partitionKey() {
        return jobId;
    }
}
