package dev.ddpm.core.events;

import dev.ddpm.core.json.Require;

/**
 * A client no longer wants an asynchronous job. Travels on the jobs' own topic with the job's key,
 * so it reaches the replica that runs the job, after the job itself. Key: job id.
 */
public record SampleJobCancelRequested(String jobId) implements EventData {

    public SampleJobCancelRequested {
        Require.safeName(jobId, "jobId");
    }

    @Override
    public String partitionKey() {
        return jobId;
    }
}
