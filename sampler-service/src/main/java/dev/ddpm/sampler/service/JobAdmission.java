package dev.ddpm.sampler.service;

import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.sampler.batching.JobListener;
import dev.ddpm.sampler.batching.Priority;
import dev.ddpm.sampler.batching.QueueFullException;
import dev.ddpm.sampler.batching.SamplingJob;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.faulttolerance.Retry;

import java.time.temporal.ChronoUnit;

/**
 * Admission of asynchronous jobs: where interactive requests get a 429 when the batcher's queue is
 * full, a job waits for a place, retried on the caller's (worker) thread, so the job consumer takes
 * no further record until this one is queued.
 */
@ApplicationScoped
public class JobAdmission {

    private final SamplingService sampling;

    public JobAdmission(SamplingService sampling) {
        this.sampling = sampling;
    }

    @Retry(
            retryOn = QueueFullException.class,
            maxRetries = -1,
            delay = 1,
            delayUnit = ChronoUnit.SECONDS,
            maxDuration = 0,
            jitter = 250)
    public SamplingJob admit(String jobId, SamplingRequest spec, JobListener listener) {
        return sampling.start(jobId, spec, Priority.BACKGROUND, listener);
    }
}
