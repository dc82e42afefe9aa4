package dev.ddpm.sampler.service;

import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.lifecycle.ModelAliases;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.sampler.batching.JobListener;
import dev.ddpm.sampler.batching.Priority;
import dev.ddpm.sampler.batching.SamplingJob;
import dev.ddpm.sampler.config.SamplerConfig;
import dev.ddpm.sampler.registry.ModelRegistry;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Admission of asynchronous jobs into the batcher, at background priority, and what decides whether
 * a job the registry cannot serve yet should wait for its model. Where interactive requests get a
 * 429 when the batcher is full, a job waits in the local queue and is offered again
 * ({@link SampleJobRunner}).
 */
@ApplicationScoped
public class JobAdmission {

    private final SamplingService sampling;
    private final ModelRegistry registry;
    private final SamplerConfig config;

    public JobAdmission(SamplingService sampling, ModelRegistry registry, SamplerConfig config) {
        this.sampling = sampling;
        this.registry = registry;
        this.config = config;
    }

    /**
     * Queues the job with the batcher.
     *
     * @throws dev.ddpm.sampler.batching.QueueFullException the batcher holds all it may now
     * @throws dev.ddpm.sampler.registry.UnknownModelException the model is not served here (see
     *     {@link #awaitsModel})
     */
    public SamplingJob admit(String jobId, SamplingRequest spec, JobListener listener) {
        return sampling.start(jobId, spec, Priority.BACKGROUND, listener);
    }

    /**
     * Whether a job for a model this replica does not serve should wait for it: the model is one
     * this replica serves (every model, or those {@code sampler.models} names) and is stored (an
     * alias document or a version), so it is being loaded, as at every start, rollout and
     * scale-out. A job that names a version of its own loads it on demand and never waits, and one
     * for a model that does not exist fails at once.
     *
     * @throws StorageException S3 is away: the job waits, since it cannot tell
     */
    public boolean awaitsModel(SamplingRequest request) {
        String name = request.model();
        String version = request.version();
        if (version != null && !version.isEmpty() && !ModelAliases.isAlias(version)) {
            return false;
        }
        if (registry.servedModels().contains(name)
                || !config.models()
                        .map(list -> list.isEmpty() || list.contains(name))
                        .orElse(true)) {
            return false;
        }
        try {
            return registry.storedAliases(name).isPresent()
                    || !registry.versions(name).isEmpty();
        } catch (StorageException e) {
            throw e;
        } catch (RuntimeException e) {
            return false; // an alias document that cannot be read: the job fails as the model's
        }
    }
}
