package dev.ddpm.trainer.rest;

import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

/**
 * Body of {@code POST /v1/exports}.
 *
 * @param runId   the run whose newest checkpoint to export
 * @param model   model name to publish under (default: the run id)
 * @param weights {@code ema} (default) or {@code trained}
 */
public record ExportRequest(
        String runId,
        @OptionalField String model,
        @OptionalField String weights) {

    public ExportRequest {
        Require.safeName(runId, "runId");
        model = model == null ? runId : Require.safeName(model, "model");
        weights = weights == null ? "ema" : weights;
        if (!weights.equals("ema") && !weights.equals("trained")) {
            throw new InvalidPayloadException(
                    "field 'weights' must be 'ema' or 'trained', was '" + weights + "'", "weights");
        }
    }
}
