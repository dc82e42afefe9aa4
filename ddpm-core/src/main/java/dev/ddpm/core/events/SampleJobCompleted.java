package dev.ddpm.core.events;

import dev.ddpm.core.json.Require;
import dev.ddpm.core.storage.ObjectRef;

import java.util.List;

/** An asynchronous job's results are in the samples bucket. Key: job id. */
public record SampleJobCompleted(String jobId, String model, String version, List<ObjectRef> results)
        implements EventData {

    public SampleJobCompleted {
        Require.safeName(jobId, "jobId");
        Require.safeName(model, "model");
        Require.safeName(version, "version");
        Require.nonNull(results, "results");
        results = List.copyOf(results);
    }

    @Override
    public String partitionKey() {
        return jobId;
    }
}
