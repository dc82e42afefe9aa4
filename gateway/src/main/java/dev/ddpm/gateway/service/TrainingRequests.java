package dev.ddpm.gateway.service;

import dev.ddpm.core.api.RunIds;
import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.gateway.messaging.outgoing.GatewayEvents;
import jakarta.inject.Singleton;

import java.time.Duration;

/** Starts training runs for both APIs: checks the data set exists, then TrainingRequested. */
@Singleton
public class TrainingRequests {

    private final GatewayEvents events;
    private final ArtifactStore store;
    private final TrainingRuns runs;

    public TrainingRequests(GatewayEvents events, ArtifactStore store, TrainingRuns runs) {
        this.events = events;
        this.store = store;
        this.runs = runs;
    }

    /**
     * @param request validated when it was bound (a field out of range is a 400 whatever the data set's state)
     * @return the new run's id
     */
    public String start(TrainingRequest request, String requestedBy) {
        if (store.list(Buckets.DATASETS, request.dataset() + "/").isEmpty()) {
            throw new GatewayException(
                    404,
                    "unknown data set",
                    "data set '" + request.dataset() + "' has no objects; " + "upload it first (POST /v1/datasets/"
                            + request.dataset() + ")",
                    "dataset");
        }
        String runId = RunIds.next(request.modelName());
        events.trainingRequests()
                .sendAndWait(new TrainingRequested(runId, request, requestedBy), Duration.ofSeconds(30));
        runs.requested(runId, request.modelName());
        return runId;
    }
}
