package dev.ddpm.gateway.service;

import dev.ddpm.core.api.RunIds;
import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.events.TrainingCancelRequested;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.messaging.MessagingException;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.messaging.outgoing.GatewayEvents;
import jakarta.inject.Singleton;

import java.util.Locale;

/**
 * Starts training runs for both APIs (checks the data set exists, then TrainingRequested) and asks
 * for their cancellation (TrainingCancelRequested).
 */
@Singleton
public class TrainingRequests {

    private final GatewayEvents events;
    private final ArtifactStore store;
    private final TrainingRuns runs;
    private final TrainingQuota quota;
    private final InFlightSubmissions inFlight = new InFlightSubmissions();

    public TrainingRequests(GatewayEvents events, ArtifactStore store, TrainingRuns runs, TrainingQuota quota) {
        this.events = events;
        this.store = store;
        this.runs = runs;
        this.quota = quota;
    }

    /**
     * Checks the key's training quota ({@link TrainingQuota}; a replay is never refused) and the data set, sends TrainingRequested and folds the run into the view as requested. With an
     * idempotency key the run id is derived from it, the caller's key id and the model, and a run the view
     * knows by that id is answered as it is, not sent again; a repeat while this replica is still submitting
     * the first waits for it and answers the same ({@link InFlightSubmissions}).
     *
     * @param request        validated when it was bound (a field out of range is a 400 whatever the data set's
     *                       state)
     * @param idempotencyKey validated ({@link Idempotency#validate}); null for none
     * @throws GatewayException 400 or 429 from the training quota, 404 for a data set with no objects, 503 when the broker did not take the request
     *     (nothing was submitted)
     */
    public Idempotency.Submission start(TrainingRequest request, String requestedBy, String idempotencyKey) {
        if (idempotencyKey == null) {
            return quota.admit(
                    requestedBy, request, () -> send(request, requestedBy, RunIds.next(request.modelName()), null));
        }
        String runId = Idempotency.runId(request.modelName(), requestedBy, idempotencyKey);
        return inFlight.once(
                runId,
                () -> runs.get(runId).isPresent(),
                () -> quota.admit(requestedBy, request, () -> send(request, requestedBy, runId, idempotencyKey)));
    }

    private Idempotency.Submission send(
            TrainingRequest request, String requestedBy, String runId, String idempotencyKey) {
        if (store.list(Buckets.DATASETS, request.dataset() + "/").isEmpty()) {
            throw TrainingAccess.unknownDataset(request.dataset());
        }
        try {
            events.trainingRequests().sendAndWait(new TrainingRequested(runId, request, requestedBy));
        } catch (MessagingException e) {
            throw Idempotency.notSubmitted("training request", idempotencyKey, e);
        }
        runs.requested(runId, request, requestedBy);
        return new Idempotency.Submission(runId, false);
    }

    /**
     * Asks the trainer to stop a run (it stops at its next step, or never starts, and reports
     * TrainingCancelled); the run's state changes when that report arrives.
     *
     * @return the run as it is now
     * @throws GatewayException 404 for an unknown run and for another key's (an admin: any), 409 for a
     *     run that has ended
     */
    public TrainingRuns.Run cancel(String runId, Caller caller) {
        TrainingRuns.Run run = runs.get(runId, caller).orElseThrow(() -> TrainingRuns.unknown(runId));
        if (run.finished()) {
            throw new GatewayException(
                    409,
                    "training run ended",
                    "run '" + runId + "' has ended already ("
                            + run.state().name().toLowerCase(Locale.ROOT) + "): there is nothing to cancel");
        }
        events.trainingRequests().sendAndWait(new TrainingCancelRequested(runId, caller.keyId()));
        return run;
    }
}
