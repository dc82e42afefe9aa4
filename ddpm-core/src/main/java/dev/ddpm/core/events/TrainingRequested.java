package dev.ddpm.core.events;

import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

import java.util.Set;

/**
 * Asks a trainer to run. Key: run id. A run id seen before is a duplicate, not a second run.
 *
 * @param runId       unique id of the run (safe object-key name: it prefixes checkpoint keys); see
 *                    {@link dev.ddpm.core.api.RunIds}
 * @param request     the whole training request: data set, what and how to train, where to resume from
 * @param requestedBy who the run is for: the API key id that owns it (a retraining's is its data set's
 *                    owner), else one of {@link #NOT_API_KEYS}
 *                    ({@link #BY_DATASET_UPDATE}, {@link #BY_CLI}); its owner's quota counts it, and its owner
 *                    may see and cancel it
 * @param trigger     what started it when no one asked for it directly: "dataset-update" for a
 *                    retraining a data set change started; absent for a run its requester asked for
 */
public record TrainingRequested(
        String runId,
        TrainingRequest request,
        @OptionalField String requestedBy,
        @OptionalField String trigger) implements EventData {

    /** {@code requestedBy} of a retraining a data set's update started (the trainer's retrain policy). */
    public static final String BY_DATASET_UPDATE = "dataset-update";

    /** {@code requestedBy} of a run the command line requested. */
    public static final String BY_CLI = "cli";

    /**
     * The {@code requestedBy} values that name no API key, so that such a run is no key's: no API key may
     * have one of these ids (the gateway refuses them at start).
     */
    public static final Set<String> NOT_API_KEYS = Set.of(BY_DATASET_UPDATE, BY_CLI);

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
