package dev.ddpm.sampler.service;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.SampleJobCompleted;
import dev.ddpm.core.events.SampleJobFailed;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectNotFoundException;
import dev.ddpm.core.storage.Upload;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Optional;

/**
 * Where a job's results live: {@code ddpm-samples/{jobId}/}, the images first and
 * {@code result.json} (the job's SampleJobCompleted, naming its submitter) last, so that a job with a {@code result.json}
 * has all its images; or, for a job that failed, {@code failed.json} (its SampleJobFailed), so that
 * a record delivered again after a crash re-announces that end instead of running the job to a
 * second, different one. Failures are the store's {@link dev.ddpm.core.storage.StorageException}s,
 * after its own retries.
 */
@ApplicationScoped
public class JobResults {

    private final ArtifactStore store;

    public JobResults(ArtifactStore store) {
        this.store = store;
    }

    /** The outcome a previous delivery of the job stored, its results or its failure; empty when it has none. */
    public Optional<EventData> stored(String jobId) {
        Optional<EventData> completed = read(pointer(jobId), SampleJobCompleted.class);
        return completed.isPresent() ? completed : read(failure(jobId), SampleJobFailed.class);
    }

    /**
     * Stores a job's failure, unless an end is stored for it already: results, or a failure stored
     * first (written only where none is, so of two the first wins). Returns the end stored, which is
     * the one to announce.
     */
    public EventData storeFailure(SampleJobFailed failed) {
        String jobId = failed.jobId();
        Optional<EventData> completed = read(pointer(jobId), SampleJobCompleted.class);
        if (completed.isPresent()) {
            return completed.get();
        }
        if (store.putIfAbsent(Buckets.SAMPLES, failure(jobId), Json.write(failed), "application/json")
                .isPresent()) {
            return failed;
        }
        return read(failure(jobId), SampleJobFailed.class).orElse(failed);
    }

    private Optional<EventData> read(String key, Class<? extends EventData> type) {
        try {
            return Optional.of(store.getJson(Buckets.SAMPLES, key, type));
        } catch (ObjectNotFoundException e) {
            return Optional.empty();
        }
    }

    /**
     * Writes the job's images, then its {@code result.json}; returns what it says.
     *
     * @param requestedBy the API key id that submitted the job (null: not recorded), kept in result.json so
     *                    that the gateway gives the results to their submitter after its view forgot the job
     */
    public SampleJobCompleted write(String jobId, String requestedBy, ModelManifest model, List<Upload> images) {
        SampleJobCompleted[] completed = new SampleJobCompleted[1];
        store.writeThenPoint(Buckets.SAMPLES, images, pointer(jobId), refs -> {
            completed[0] = new SampleJobCompleted(jobId, model.name(), model.version(), refs, requestedBy);
            return completed[0];
        });
        return completed[0];
    }

    static String pointer(String jobId) {
        return jobId + "/result.json";
    }

    static String failure(String jobId) {
        return jobId + "/failed.json";
    }
}
