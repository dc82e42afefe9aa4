package dev.ddpm.core.events;

import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;
import dev.ddpm.core.storage.ObjectRef;

import java.util.List;

/**
 * An asynchronous job's results are in the samples bucket. Key: job id. The sampler stores it as the
 * job's {@code result.json} too, which outlives the topic's retention.
 *
 * @param requestedBy the API key id that submitted the job (its SampleJobRequested's), so that a job known
 *                    from its result.json alone is still its submitter's; absent: not recorded
 */
public record SampleJobCompleted(
        String jobId,
        String model,
        String version,
        List<ObjectRef> results,
        @OptionalField String requestedBy) implements EventData {

    public SampleJobCompleted {
        Require.safeName(jobId, "jobId");
        Require.safeName(model, "model");
        Require.safeName(version, "version");
        Require.nonNull(results, "results");
        results = List.copyOf(results);
    }

    public SampleJobCompleted(String jobId, String model, String version, List<ObjectRef> results) {
        this(jobId, model, version, results, null);
    }

    @Override
    public String partitionKey() {
        return jobId;
    }
}
