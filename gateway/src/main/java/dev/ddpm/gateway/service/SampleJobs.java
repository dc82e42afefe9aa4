package dev.ddpm.gateway.service;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.events.SampleJobCancelRequested;
import dev.ddpm.core.events.SampleJobCompleted;
import dev.ddpm.core.events.SampleJobFailed;
import dev.ddpm.core.events.SampleJobRequested;
import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.messaging.outgoing.GatewayEvents;
import jakarta.inject.Singleton;

import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Asynchronous sampling for both APIs: submit to ddpm.sample-jobs (charged to the key's quota like
 * any sampling request), cancel through the same topic, and the job's state.
 */
@Singleton
public class SampleJobs {

    /** A job as the APIs show it; {@code results} are gateway URLs of the files. */
    public record Status(String jobId, State state, String model, String version, List<String> results, String error) {}

    /** Where a job stands; the JSON names are the HTTP API's. */
    public enum State {
        /** Submitted, not ended: waiting for or running on a sampler. */
        @JsonProperty("queued")
        QUEUED,
        /** A cancel was sent; the job ends as cancelled once its sampler hears it. */
        @JsonProperty("cancelling")
        CANCELLING,
        @JsonProperty("succeeded")
        SUCCEEDED,
        @JsonProperty("failed")
        FAILED,
        @JsonProperty("cancelled")
        CANCELLED
    }

    private final GatewayEvents events;
    private final SampleJobResults results;
    private final SamplingQuota quota;

    public SampleJobs(GatewayEvents events, SampleJobResults results, SamplingQuota quota) {
        this.events = events;
        this.results = results;
        this.quota = quota;
    }

    /** @return the job id */
    public String submit(Caller caller, SamplingRequest body) {
        quota.charge(caller, body);
        String jobId = "job-" + UUID.randomUUID();
        events.sampleJobs().sendAndWait(new SampleJobRequested(jobId, body));
        return jobId;
    }

    /**
     * Asks the sampler that holds the job to cancel it; the job then ends as cancelled.
     *
     * @throws GatewayException 409 when the job has ended already
     */
    public Status cancel(String jobId) {
        Status now = status(jobId);
        if (now.state() != State.QUEUED) {
            throw new GatewayException(
                    409,
                    "job has ended",
                    "job '" + jobId + "' has ended (" + now.state().name().toLowerCase(Locale.ROOT)
                            + "); there is nothing to cancel");
        }
        events.sampleJobs().sendAndWait(new SampleJobCancelRequested(jobId));
        return new Status(jobId, State.CANCELLING, null, null, List.of(), null);
    }

    public Status status(String jobId) {
        var outcome = results.outcome(jobId);
        if (outcome.isPresent() && outcome.get() instanceof SampleJobCompleted done) {
            return new Status(
                    jobId,
                    State.SUCCEEDED,
                    done.model(),
                    done.version(),
                    done.results().stream()
                            .map(r -> "/v1/sample-jobs/" + jobId + "/files/"
                                    + r.key().substring(r.key().lastIndexOf('/') + 1))
                            .toList(),
                    null);
        }
        if (outcome.isPresent() && outcome.get() instanceof SampleJobFailed failed) {
            return new Status(
                    jobId, failed.cancelled() ? State.CANCELLED : State.FAILED, null, null, List.of(), failed.reason());
        }
        return new Status(jobId, State.QUEUED, null, null, List.of(), null);
    }
}
