package dev.ddpm.core.events;

import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.json.Require;

/**
 * An asynchronous sampling job: the whole request, as a synchronous call would have made it. Key: job id.
 */
public record SampleJobRequested(String jobId, SamplingRequest request) implements EventData {

    public SampleJobRequested {
        Require.safeName(jobId, "jobId");
        Require.nonNull(request, "request");
    }

    @Override
    public String partitionKey() {
        return jobId;
    }
}
