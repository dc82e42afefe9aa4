package dev.ddpm.core.events;

import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

/**
 * An asynchronous job could not be completed. Key: job id.
 *
 * @param cancelled the job ended because a client cancelled it (absent: false)
 */
public record SampleJobFailed(
        String jobId, String reason, @OptionalField Boolean cancelled) implements EventData {

    public SampleJobFailed {
        Require.safeName(jobId, "jobId");
        Require.nonBlank(reason, "reason");
        cancelled = cancelled != null && cancelled;
    }

    public SampleJobFailed(String jobId, String reason) {
        this(jobId, reason, false);
    }

    @Override
    public String partitionKey() {
        return jobId;
    }
}
