package dev.ddpm.core.events;

import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

/**
 * Asks a trainer to run. Key: run id. A run id seen before is a duplicate, not a second run.
 *
 * @param runId       unique id of the run (safe object-key name: it prefixes checkpoint keys)
 * @param dataset     dataset name in the datasets bucket
 * @param config      what and how to train
 * @param resumeFrom  run id whose latest checkpoint to continue from, if any
 * @param requestedBy who asked (API key id, "dataset-update", "schedule"), for the audit trail
 */
public record TrainingRequested(
        String runId,
        String dataset,
        TrainingConfig config,
        @OptionalField String resumeFrom,
        @OptionalField String requestedBy) implements EventData {

    public TrainingRequested {
        Require.safeName(runId, "runId");
        Require.safeName(dataset, "dataset");
        Require.nonNull(config, "config");
        if (resumeFrom != null) {
            Require.safeName(resumeFrom, "resumeFrom");
        }
    }

    @Override
    public String partitionKey() {
        return runId;
    }
}
