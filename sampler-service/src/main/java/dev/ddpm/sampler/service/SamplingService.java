package dev.ddpm.sampler.service;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.diffusion.Schedulers;
import dev.ddpm.core.lifecycle.CanarySplit;
import dev.ddpm.sampler.batching.JobListener;
import dev.ddpm.sampler.batching.Priority;
import dev.ddpm.sampler.batching.SamplingJob;
import dev.ddpm.sampler.batching.StepBatcher;
import dev.ddpm.sampler.config.SamplerConfig;
import dev.ddpm.sampler.engine.LoadedModel;
import dev.ddpm.sampler.registry.ModelRegistry;
import jakarta.inject.Singleton;

import java.util.UUID;

/**
 * The one way into sampling for every API (gRPC, REST, Kafka jobs): checks the request against the
 * model it names, takes a lease on that model version (production, its canary by the request's
 * seed, or the version or alias the request names), and queues the job with the batcher.
 */
@Singleton
public class SamplingService {

    private final ModelRegistry registry;
    private final StepBatcher batcher;
    private final SamplerConfig config;
    private final HeldMemory heldMemory;

    public SamplingService(ModelRegistry registry, StepBatcher batcher, SamplerConfig config, HeldMemory heldMemory) {
        this.registry = registry;
        this.batcher = batcher;
        this.config = config;
        this.heldMemory = heldMemory;
    }

    /**
     * Starts a request; the listener hears progress, previews and the result.
     *
     * @param priority interactive for a caller waiting on the answer, background for asynchronous jobs
     * @throws InvalidSampleRequestException         a parameter out of range (named)
     * @throws dev.ddpm.sampler.registry.UnknownModelException no such model or version
     * @throws dev.ddpm.sampler.batching.QueueFullException   the sampler holds its most requests or evaluations
     * @throws dev.ddpm.sampler.batching.DeadlineException    the request cannot finish before its deadline
     * @throws dev.ddpm.sampler.batching.SamplerShuttingDownException the sampler is shutting down
     */
    public SamplingJob start(String requestId, SamplingRequest requested, Priority priority, JobListener listener) {
        return start(requestId, requested, priority, listener, null);
    }

    /**
     * As {@link #start(String, SamplingRequest, Priority, JobListener)} for {@code caller} (the
     * call's {@code ddpm-caller}; null: anonymous), whom a load of a pinned version is counted against.
     *
     * @throws dev.ddpm.sampler.registry.ModelLoadRefusedException the version is not loaded and may not be now
     * @throws dev.ddpm.sampler.batching.QueueFullException also when the held requests' memory leaves too little room
     */
    public SamplingJob start(
            String requestId, SamplingRequest requested, Priority priority, JobListener listener, String caller) {
        batcher.refuseWhileDraining();
        // The request validated itself (SamplingRequest); what is left depends on this service and the model.
        if (requested.count() > config.maxImagesPerRequest()) {
            throw new InvalidSampleRequestException(
                    "count", "count must be in 1.." + config.maxImagesPerRequest() + ", was " + requested.count());
        }
        String id = requestId == null || requestId.isBlank() ? UUID.randomUUID().toString() : requestId;
        LoadedModel.Lease lease =
                registry.acquire(requested.model(), requested.version(), routingKey(requested, id), caller);
        HeldMemory.Reservation memory = null;
        try {
            SamplingRequest spec = withSteps(requested, lease.model().manifest())
                    .withPreviewsAtMost(config.previews().maxPerImage());
            if (priority == Priority.BACKGROUND) {
                refuseIfNeverAdmitted(spec);
            }
            memory = heldMemory.reserve(spec, lease.model().imageLength());
            SamplingJob job = new SamplingJob(id, spec, priority, lease, listener, memory);
            listener.resolved(spec);
            batcher.submit(job);
            return job;
        } catch (RuntimeException e) {
            lease.close();
            if (memory != null) {
                memory.run();
            }
            throw e;
        }
    }

    /**
     * An asynchronous job waits for room instead of being refused when the batcher is full, so one
     * that no room can ever take is refused now: the batcher takes a request larger than
     * {@code sampler.queue.max-evaluations} only while it holds nothing else, which a busy sampler
     * may never do.
     */
    private void refuseIfNeverAdmitted(SamplingRequest spec) {
        long evaluations = (long) spec.count() * spec.evaluationsPerImage();
        long bound = config.queue().maxEvaluations();
        if (evaluations > bound) {
            throw new InvalidSampleRequestException(
                    "count",
                    "the job needs " + evaluations + " network evaluations (" + spec.count() + " images x "
                            + spec.evaluationsPerImage() + "), more than the " + bound
                            + " one job may take (sampler.queue.max-evaluations)");
        }
    }

    /**
     * What decides whether a request without a version goes to production's canary: its seed, so that
     * the same seed lands on the same version on every replica. A request without a seed has seed 0
     * ({@link SamplingRequest}), which would send every such request the same way: those are spread
     * by their id instead.
     */
    static long routingKey(SamplingRequest request, String requestId) {
        return request.seed() != 0 ? request.seed() : CanarySplit.routingKey(requestId);
    }

    private static SamplingRequest withSteps(SamplingRequest spec, ModelManifest manifest) {
        int timesteps = manifest.diffusion().timesteps();
        int steps = Schedulers.steps(spec.sampler(), spec.steps(), timesteps);
        if (steps < 1 || steps > timesteps) {
            throw new InvalidSampleRequestException(
                    "steps", "steps must be in 1.." + timesteps + " for model " + manifest.name() + ", was " + steps);
        }
        return spec.withSteps(steps);
    }
}
