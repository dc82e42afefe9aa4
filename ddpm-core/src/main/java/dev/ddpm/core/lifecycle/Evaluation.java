package dev.ddpm.core.lifecycle;

import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

import java.util.Map;

/**
 * The quality gate's comparison of a candidate with the production version it would replace, both
 * measured on the same probe (same seeds, sampler and real images). Written into the candidate's
 * manifest and announced as ModelEvaluated.
 *
 * @param production        the production version compared with; null when the model had none
 * @param probe             what both were measured on, in words (sampler, steps, samples, real set)
 * @param candidateMetrics  the candidate's figures ({@code quality_*} as in TrainingProgress)
 * @param productionMetrics production's figures on the same probe; empty without a production version
 * @param margin            the margin the verdict allowed
 * @param passed            whether the candidate is not worse than production beyond the margin
 * @param reason            the verdict in words, with the figures that decided it
 */
public record Evaluation(
        @OptionalField String production,
        String probe,
        Map<String, Double> candidateMetrics,
        @OptionalField Map<String, Double> productionMetrics,
        double margin,
        boolean passed,
        String reason) {

    public Evaluation {
        if (production != null) {
            Require.safeName(production, "production");
        }
        Require.nonBlank(probe, "probe");
        candidateMetrics = candidateMetrics == null ? Map.of() : Map.copyOf(candidateMetrics);
        productionMetrics = productionMetrics == null ? Map.of() : Map.copyOf(productionMetrics);
        Require.inRange(margin, 0, 1, "margin");
        Require.nonBlank(reason, "reason");
    }
}
