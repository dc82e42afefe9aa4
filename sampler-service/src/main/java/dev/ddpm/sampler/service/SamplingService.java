package dev.ddpm.sampler.service;

import dev.ddpm.core.events.SamplerKind;
import dev.ddpm.core.model.ModelManifest;
import dev.ddpm.sampler.batching.JobListener;
import dev.ddpm.sampler.batching.SampleSpec;
import dev.ddpm.sampler.batching.SamplingJob;
import dev.ddpm.sampler.batching.StepBatcher;
import dev.ddpm.sampler.config.SamplerConfig;
import dev.ddpm.sampler.engine.LoadedModel;
import dev.ddpm.sampler.registry.ModelRegistry;
import jakarta.inject.Singleton;

import java.util.UUID;

/**
 * The one way into sampling for every API (gRPC, REST, Kafka jobs): checks the request against the
 * model it names, takes a lease on that model version, and queues the job with the batcher.
 */
@Singleton
public class SamplingService {

    /** DDIM's step count when a request names none. */
    static final int DEFAULT_DDIM_STEPS = 50;

    private final ModelRegistry registry;
    private final StepBatcher batcher;
    private final SamplerConfig config;

    public SamplingService(ModelRegistry registry, StepBatcher batcher, SamplerConfig config) {
        this.registry = registry;
        this.batcher = batcher;
        this.config = config;
    }

    /**
     * Starts a request; the listener hears progress, previews and the result.
     *
     * @throws InvalidSampleRequestException         a parameter out of range (named)
     * @throws dev.ddpm.sampler.registry.UnknownModelException no such model or version
     * @throws dev.ddpm.sampler.batching.QueueFullException   every queue slot is taken
     */
    public SamplingJob start(String requestId, SampleSpec requested, JobListener listener) {
        if (requested.model() == null || requested.model().isBlank()) {
            throw new InvalidSampleRequestException("model", "model is required");
        }
        if (requested.count() < 1 || requested.count() > config.maxImagesPerRequest()) {
            throw new InvalidSampleRequestException("count", "count must be in 1.." + config.maxImagesPerRequest()
                    + ", was " + requested.count());
        }
        if (!(requested.eta() >= 0 && requested.eta() <= 1)) {
            throw new InvalidSampleRequestException("eta", "eta must be in [0, 1], was " + requested.eta());
        }
        if (requested.previewEvery() < 0) {
            throw new InvalidSampleRequestException("previewEvery", "previewEvery must be >= 0, was " + requested.previewEvery());
        }
        LoadedModel.Lease lease = registry.acquire(requested.model(), requested.version());
        try {
            SampleSpec spec = withSteps(requested, lease.model().manifest());
            SamplingJob job = new SamplingJob(requestId == null || requestId.isBlank()
                    ? UUID.randomUUID().toString() : requestId, spec, lease, listener);
            batcher.submit(job);
            return job;
        } catch (RuntimeException e) {
            lease.close();
            throw e;
        }
    }

    private static SampleSpec withSteps(SampleSpec spec, ModelManifest manifest) {
        int timesteps = manifest.diffusion().timesteps();
        Integer steps = spec.steps();
        if (steps == null || steps == 0) {
            steps = spec.sampler() == SamplerKind.DDIM ? Math.min(DEFAULT_DDIM_STEPS, timesteps) : timesteps;
        }
        if (steps < 1 || steps > timesteps) {
            throw new InvalidSampleRequestException("steps", "steps must be in 1.." + timesteps + " for model "
                    + manifest.name() + ", was " + steps);
        }
        return new SampleSpec(spec.model(), spec.version(), spec.count(), spec.sampler(), steps, spec.eta(), spec.seed(),
                spec.output(), spec.clipX0(), spec.variance(), spec.previewEvery());
    }
}
