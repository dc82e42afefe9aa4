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
 * @param requestedBy who asked (API key id, "dataset-update", "cli"), for the audit trail
 */
public record TrainingRequested(
        String runId,
        TrainingRequest request,
        @OptionalField String requestedBy) implements EventData {

    public TrainingRequested {
        Require.safeName(runId, "runId");
        Require.nonNull(request, "request");
    }

    @Override
    public String partitionKey() {
        return runId;
    }
}
