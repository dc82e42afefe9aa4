package dev.ddpm.gateway.service;

import dev.ddpm.core.events.SampleJobCompleted;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectNotFoundException;
import dev.ddpm.core.storage.StorageException;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Optional;

/**
 * A job's outcome read back from the samples bucket, for when the job view has not heard it: the
 * sampler writes {@code ddpm-samples/{jobId}/result.json} (the SampleJobCompleted it then announces)
 * after the files, so its presence means the job succeeded, whatever this replica has read of
 * {@code ddpm.sample-results} so far. Looked for only for a job not fresh (older than
 * {@link #MIN_AGE}), at most every {@link #RECHECK_EVERY} per job, so polling a running job costs S3
 * little; what it finds is folded into the view.
 */
@Singleton
public class SampleJobResults {

    private static final Logger LOG = Logger.getLogger(SampleJobResults.class);

    /** A job younger than this cannot have finished yet, or its SampleJobCompleted is on its way. */
    static final Duration MIN_AGE = Duration.ofSeconds(5);
    /** The least time between two looks for the same job's result.json. */
    static final Duration RECHECK_EVERY = Duration.ofSeconds(5);

    private final ArtifactStore store;
    private final SampleJobView view;

    public SampleJobResults(ArtifactStore store, SampleJobView view) {
        this.store = store;
        this.view = view;
    }

    /** Where the sampler writes a job's outcome, last (sampler-service SampleJobRunner). */
    static String resultKey(String jobId) {
        return jobId + "/result.json";
    }

    /**
     * The job as the view knows it, with its result.json folded in first when the view says it has not
     * ended and it is time to look, or when the view does not know it at all (never heard of here, or
     * no longer kept).
     */
    public Optional<SampleJobView.Job> current(String jobId) {
        Optional<SampleJobView.Job> known = view.get(jobId);
        if (known.isEmpty() || view.claimResultCheck(jobId, MIN_AGE, RECHECK_EVERY)) {
            read(jobId).ifPresent(view::apply);
        }
        return view.get(jobId);
    }

    /** The job's result.json; empty when there is none, or it cannot be read now (S3 away, not a result). */
    Optional<SampleJobCompleted> read(String jobId) {
        try {
            SampleJobCompleted result = store.getJson(Buckets.SAMPLES, resultKey(jobId), SampleJobCompleted.class);
            if (!result.jobId().equals(jobId)) {
                LOG.warnf("%s names job %s; ignored", resultKey(jobId), result.jobId());
                return Optional.empty();
            }
            return Optional.of(result);
        } catch (ObjectNotFoundException e) {
            return Optional.empty();
        } catch (StorageException | InvalidPayloadException e) {
            // The view's answer stands; the next look after RECHECK_EVERY may find it.
            LOG.warnf("could not read %s: %s", resultKey(jobId), e.getMessage());
            return Optional.empty();
        }
    }
}
