package dev.ddpm.core.events;

import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;
import dev.ddpm.core.lifecycle.Evaluation;

/**
 * The quality gate compared a new version with production. Key: the run id that trained it.
 *
 * @param promoted whether it became production (passed under an {@code auto} policy, or the model's
 *                 first version)
 * @param outcome  what happened to it, in words ("promoted", "kept as candidate: manual policy", ...)
 */
public record ModelEvaluated(
        String runId,
        String name,
        String version,
        Evaluation evaluation,
        boolean promoted,
        @OptionalField String outcome)
        implements EventData {

    public ModelEvaluated {
        Require.safeName(runId, "runId");
        Require.safeName(name, "name");
        Require.safeName(version, "version");
        Require.nonNull(evaluation, "evaluation");
    }

    @Override
    public String partitionKey() {
        return runId;
    }
}
