package dev.ddpm.trainer.checkpoint;

import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.core.storage.ObjectRef;

import java.time.Instant;

/**
 * {@code ddpm-checkpoints/{run}/step-{n}/checkpoint.json}: one complete checkpoint, written after the
 * objects it names (each with its sha256). {@code {run}/latest.json} points at the newest one.
 *
 * @param optimizerUpdates AdamW's update count (bias correction)
 * @param skippedSteps     updates dropped for non-finite loss so far
 * @param ended            whether the run ended here: its last step, or the step where its time limit
 *                         ended it (a redelivered request then starts nothing)
 * @param decayEnd         where a time-boxed run fitted its learning-rate decay to end, when earlier
 *                         than its settings' (null: the settings'); a resume of the run keeps it
 * @param trainingSeconds  wall-clock seconds the run has trained so far, over all its attempts (0 when
 *                         not recorded); a resumed time box counts them as spent
 */
public record CheckpointManifest(
        String runId,
        long step,
        Instant createdAt,
        UNetConfig architecture,
        DiffusionConfig diffusion,
        long seed,
        long optimizerUpdates,
        long skippedSteps,
        ObjectRef weights,
        ObjectRef emaWeights,
        ObjectRef optimizerState,
        @OptionalField Boolean ended,
        @OptionalField Long decayEnd,
        @OptionalField Double trainingSeconds) {

    public CheckpointManifest {
        Require.safeName(runId, "runId");
        Require.atLeast(step, 0, "step");
        Require.nonNull(createdAt, "createdAt");
        Require.nonNull(architecture, "architecture");
        Require.nonNull(diffusion, "diffusion");
        Require.nonNull(weights, "weights");
        Require.nonNull(emaWeights, "emaWeights");
        Require.nonNull(optimizerState, "optimizerState");
        ended = ended != null && ended;
        if (decayEnd != null) {
            Require.atLeast(decayEnd, 1, "decayEnd");
        }
        trainingSeconds = trainingSeconds == null
                ? 0.0
                : Require.inRange(trainingSeconds, 0, Double.MAX_VALUE, "trainingSeconds");
    }
}
