package dev.ddpm.gateway.service;

import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.DatasetOwner;
import dev.ddpm.gateway.auth.Caller;
import jakarta.inject.Singleton;

/**
 * What a training request may name, for both APIs: a data set the caller owns, a model name that
 * is free or the caller's ({@link ModelAccess#requireNameFor}), and a run to resume from that the
 * caller requested. Another key's data set or run answers as one that does not exist; an admin may
 * name anything. The trainer checks the model's owner again where it publishes, for the names two
 * keys ask for at once.
 */
@Singleton
public class TrainingAccess {

    private final ArtifactStore store;
    private final ModelAccess models;
    private final TrainingRuns runs;

    public TrainingAccess(ArtifactStore store, ModelAccess models, TrainingRuns runs) {
        this.store = store;
        this.models = models;
        this.runs = runs;
    }

    /**
     * @throws GatewayException 404 for a data set or a {@code resumeFrom} run the caller may not see (as
     *     for one that does not exist), 409 for a model name another key holds
     */
    public void admit(Caller caller, TrainingRequest request) {
        String dataset = request.dataset();
        if (store.list(Buckets.DATASETS, dataset + "/").isEmpty()
                || !Ownership.sees(caller, DatasetOwner.of(store, dataset).orElse(null))) {
            throw unknownDataset(dataset);
        }
        if (request.resumeFrom() != null && !mayResumeFrom(caller, request.resumeFrom())) {
            throw new GatewayException(
                    404,
                    "unknown training run",
                    "no run '" + request.resumeFrom() + "' is known to resume from",
                    "resumeFrom");
        }
        models.requireNameFor(caller, request.modelName());
    }

    /**
     * A run the caller requested, as the view knows it; an admin may name any run (one the command line
     * started, too), unchecked here: the trainer fails a run that finds no usable checkpoint, saying so.
     * The gateway does not look for checkpoints itself, as its S3 identity may not list them.
     */
    private boolean mayResumeFrom(Caller caller, String runId) {
        return ModelAccess.isAdmin(caller) || runs.get(runId, caller).isPresent();
    }

    /** The 404 for a data set that has no objects, and for one the caller may not see. */
    static GatewayException unknownDataset(String dataset) {
        return new GatewayException(
                404,
                "unknown data set",
                "data set '" + dataset + "' has no objects; upload it first (POST /v1/datasets/" + dataset + ")",
                "dataset");
    }
}
