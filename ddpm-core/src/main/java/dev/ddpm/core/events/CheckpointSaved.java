package dev.ddpm.core.events;

import dev.ddpm.core.json.Require;

/**
 * A checkpoint is complete in the checkpoints bucket. Key: run id.
 *
 * @param key    key of the checkpoint's pointer ({@code {run}/step-{n}/checkpoint.json})
 * @param sha256 sha256 of that pointer object
 */
public record CheckpointSaved(String runId, long step, String key, String sha256) implements EventData {

    public CheckpointSaved {
        Require.safeName(runId, "runId");
        Require.atLeast(step, 0, "step");
        Require.nonBlank(key, "key");
        Require.sha256Hex(sha256, "sha256");
    }

    @Override
    public String partitionKey() {
        return runId;
    }
}
