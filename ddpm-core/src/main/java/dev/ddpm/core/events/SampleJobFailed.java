package dev.ddpm.core.events;

import dev.ddpm.core.json.Require;

/** An asynchronous job could not be completed. Key: job id. */
public record SampleJobFailed(String jobId, String reason) implements EventData {

    public SampleJobFailed {
        Require.safeName(jobId, "jobId");
        Require.nonBlank(reason, "reason");
    }

    @Override
    public String partitionKey() {
        return jobId;
    }
}
