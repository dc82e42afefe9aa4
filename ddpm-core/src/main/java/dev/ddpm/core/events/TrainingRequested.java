package dev.ddpm.core.events;

import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

/**
 * Asks a trainer to run. Key: run id. A run id seen before is a duplicate, not a second run.
 *
 * @param runId       unique id of the run (safe object-key name: it prefixes checkpoint keys); see
 *                    {@link dev.ddpm.core.api.RunIds}
 * @param request     the whole training request: data set, what and how to train, where to resume from
 * @param requestedBy who the run is for: the API key id that owns it (a retraining's is its data set's
 *                    owner), else "dataset-update" or "cli"; its owner's quota counts it, and its owner
 *                    may see and cancel it
 * @param trigger     what started it when no one asked for it directly: "dataset-update" for a
 *                    retraining a data set change started; absent for a run its requester asked for
 */
public record TrainingRequested(
        String runId,
        TrainingRequest request,
        @OptionalField String requestedBy,
        @OptionalField String trigger) implements EventData {

    public TrainingRequested {
        Require.safeName(runId, "runId");
        Require.nonNull(request, "request");
    }

    /** A run its requester asked for directly. */
    public TrainingRequested(String runId, TrainingRequest request, String requestedBy) {
        this(runId, request, requestedBy, null);
    }

    @Override
    public String partitionKey() {
        return runId;
    }
}
