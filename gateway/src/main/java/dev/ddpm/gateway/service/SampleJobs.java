package dev.ddpm.gateway.service;

import dev.ddpm.core.api.SampleBody;
import dev.ddpm.core.events.SampleJobCompleted;
import dev.ddpm.core.events.SampleJobFailed;
import dev.ddpm.core.events.SampleJobRequested;
import dev.ddpm.gateway.messaging.GatewayEvents;
import dev.ddpm.gateway.config.GatewayConfig;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

/** Asynchronous sampling for both APIs: submit to ddpm.sample-jobs, and the job's state. */
@Singleton
public class SampleJobs {

    /** A job as the APIs show it; {@code results} are gateway URLs of the files. */
    public record Status(String jobId, String state, String model, String version, List<String> results, String error) {
    }

    private final GatewayEvents events;
    private final SampleJobResults results;
    private final GatewayConfig config;

    public SampleJobs(GatewayEvents events, SampleJobResults results, GatewayConfig config) {
        this.events = events;
        this.results = results;
        this.config = config;
    }

    /** @return the job id */
    public String submit(SampleBody body) {
        checkCount(body, config);
        String jobId = "job-" + UUID.randomUUID();
        events.sampleJobs().sendAndWait(new SampleJobRequested(jobId, body.model(), body.version(),
                body.count(), body.sampler(), body.steps(), body.eta(), body.seed(), body.output()), Duration.ofSeconds(30));
        return jobId;
    }

    public Status status(String jobId) {
        var outcome = results.outcome(jobId);
        if (outcome.isPresent() && outcome.get() instanceof SampleJobCompleted done) {
            return new Status(jobId, "succeeded", done.model(), done.version(), done.results().stream()
                    .map(r -> "/v1/sample-jobs/" + jobId + "/files/" + r.key().substring(r.key().lastIndexOf('/') + 1))
                    .toList(), null);
        }
        if (outcome.isPresent() && outcome.get() instanceof SampleJobFailed failed) {
            return new Status(jobId, "failed", null, null, List.of(), failed.reason());
        }
        return new Status(jobId, "queued", null, null, List.of(), null);
    }

    /** The service's own bound on images per request (the body checks the rest). */
    public static void checkCount(SampleBody body, GatewayConfig config) {
        if (body.count() > config.maxCount()) {
            throw new GatewayException(400, "invalid sampling request", "field 'count' must be at most "
                    + config.maxCount() + ", was " + body.count(), "count");
        }
    }
}
