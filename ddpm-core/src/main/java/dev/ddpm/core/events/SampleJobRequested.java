package dev.ddpm.core.events;

import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

/**
 * An asynchronous sampling job: the whole request, as a synchronous call would have made it. Key: job id.
 *
 * @param requestedBy the API key id that submitted it (its owner, who may cancel it); absent: not recorded
 */
public record SampleJobRequested(
        String jobId,
        SamplingRequest request,
        @OptionalField String requestedBy) implements EventData {

    public SampleJobRequested {
        Require.safeName(jobId, "jobId");
        Require.nonNull(request, "request");
    }

    public SampleJobRequested(String jobId, SamplingRequest request) {
        this(jobId, request, null);
    }

    @Override
    public String partitionKey() {
        return jobId;
    }
}
