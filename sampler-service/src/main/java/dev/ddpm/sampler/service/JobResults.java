package dev.ddpm.sampler.service;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.events.SampleJobCompleted;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectNotFoundException;
import dev.ddpm.core.storage.Upload;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Optional;

/**
 * Where a job's results live: {@code ddpm-samples/{jobId}/}, the images first and
 * {@code result.json} (the job's SampleJobCompleted) last, so that a job with a {@code result.json}
 * has all its images. Failures are the store's {@link dev.ddpm.core.storage.StorageException}s,
 * after its own retries.
 */
@ApplicationScoped
public class JobResults {

    private final ArtifactStore store;

    public JobResults(ArtifactStore store) {
        this.store = store;
    }

    /** The outcome a previous delivery of the job stored; empty when it has none. */
    public Optional<SampleJobCompleted> stored(String jobId) {
        try {
            return Optional.of(store.getJson(Buckets.SAMPLES, pointer(jobId), SampleJobCompleted.class));
        } catch (ObjectNotFoundException e) {
            return Optional.empty();
        }
    }

    /** Writes the job's images, then its {@code result.json}; returns what it says. */
    public SampleJobCompleted write(String jobId, ModelManifest model, List<Upload> images) {
        SampleJobCompleted[] completed = new SampleJobCompleted[1];
        store.writeThenPoint(Buckets.SAMPLES, images, pointer(jobId), refs -> {
            completed[0] = new SampleJobCompleted(jobId, model.name(), model.version(), refs);
            return completed[0];
        });
        return completed[0];
    }

    static String pointer(String jobId) {
        return jobId + "/result.json";
    }
}
