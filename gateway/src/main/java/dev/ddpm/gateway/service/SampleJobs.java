package dev.ddpm.gateway.service;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.events.SampleJobCancelRequested;
import dev.ddpm.core.events.SampleJobRequested;
import dev.ddpm.core.messaging.MessagingException;
import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.messaging.outgoing.GatewayEvents;
import jakarta.inject.Singleton;

import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Asynchronous sampling for both APIs: submit to ddpm.sample-jobs (charged to the key's quota like
 * any sampling request, once the broker has taken it), cancel through the same topic, and the job's state from the {@link SampleJobView} every replica folds, with its
 * result.json read back where the view has not heard the job end ({@link SampleJobResults}).
 */
@Singleton
public class SampleJobs {

    /**
     * A job as the APIs show it; {@code results} are gateway URLs of the files.
     *
     * @param requestedBy the API key id that submitted it; null when not known
     */
    public record Status(
            String jobId,
            State state,
            String model,
            String version,
            List<String> results,
            String error,
            String requestedBy) {}

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
    private final SampleJobView view;
    private final SampleJobResults results;
    private final SamplingQuota quota;
    private final InFlightSubmissions inFlight = new InFlightSubmissions();

    public SampleJobs(GatewayEvents events, SampleJobView view, SampleJobResults results, SamplingQuota quota) {
        this.events = events;
        this.view = view;
        this.results = results;
        this.quota = quota;
    }

    /**
     * Charges the key's quota, sends SampleJobRequested and folds the job into the view as queued. With
     * an idempotency key the job id is derived from it and the caller's key id, and a job the view knows
     * by that id is answered as it is, neither sent nor charged again; a repeat while this replica is still
     * submitting the first waits for it and answers the same ({@link InFlightSubmissions}).
     *
     * @param idempotencyKey validated ({@link Idempotency#validate}); null for none
     * @throws GatewayException 503 when the broker did not take the job: nothing was submitted or charged
     */
    public Idempotency.Submission submit(Caller caller, SamplingRequest body, String idempotencyKey) {
        if (idempotencyKey == null) {
            return send(caller, body, "job-" + UUID.randomUUID(), null);
        }
        String jobId = Idempotency.jobId(caller.keyId(), idempotencyKey);
        return inFlight.once(jobId, () -> view.get(jobId).isPresent(), () -> send(caller, body, jobId, idempotencyKey));
    }

    private Idempotency.Submission send(Caller caller, SamplingRequest body, String jobId, String idempotencyKey) {
        long charged = quota.charge(caller, body);
        try {
            events.sampleJobs().sendAndWait(new SampleJobRequested(jobId, body, caller.keyId()));
        } catch (MessagingException e) {
            // The producer has given up on the record (Delivery.ACK_WAIT): no sampler will run the job.
            quota.refund(caller, charged);
            throw Idempotency.notSubmitted("sample job", idempotencyKey, e);
        }
        view.requested(jobId, body.model(), caller.keyId());
        return new Idempotency.Submission(jobId, false);
    }

    /**
     * Asks the sampler that holds the job to cancel it; the job then ends as cancelled.
     *
     * @throws GatewayException 404 for a job no replica has heard of and for another key's (nothing is
     *     sent), 409 when the job has ended already
     */
    public Status cancel(String jobId, Caller caller) {
        SampleJobView.Job job = known(jobId, caller);
        if (job.ended()) {
            throw new GatewayException(
                    409,
                    "job has ended",
                    "job '" + jobId + "' has ended (" + job.state().name().toLowerCase(Locale.ROOT)
                            + "); there is nothing to cancel");
        }
        events.sampleJobs().sendAndWait(new SampleJobCancelRequested(jobId));
        view.cancelRequested(jobId);
        return status(view.get(jobId).orElse(job));
    }

    /**
     * @throws GatewayException 404 for a job this replica has not heard of and that has no result.json,
     *     and alike for another key's
     */
    public Status status(String jobId, Caller caller) {
        return status(known(jobId, caller));
    }

    /** The job, if the caller may see it: its submitter (an admin: any job). */
    private SampleJobView.Job known(String jobId, Caller caller) {
        return results.current(jobId)
                .filter(job -> Ownership.sees(caller, job.requestedBy()))
                .orElseThrow(() -> new GatewayException(
                        404,
                        "unknown sample job",
                        "no job '" + jobId + "' is known (a job submitted through another replica is known here once "
                                + "this one has read it, within moments)"));
    }

    private static Status status(SampleJobView.Job job) {
        return new Status(
                job.jobId(),
                job.state(),
                job.model(),
                job.version(),
                job.results().stream()
                        .map(r -> "/v1/sample-jobs/" + job.jobId() + "/files/"
                                + r.key().substring(r.key().lastIndexOf('/') + 1))
                        .toList(),
                job.error(),
                job.requestedBy());
    }
}
