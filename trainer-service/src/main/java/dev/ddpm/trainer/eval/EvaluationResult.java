package dev.ddpm.trainer.eval;

import java.util.Locale;

/**
 * The quality of one run's samples ({@link MnistEvaluation}, {@link LabelledEvaluation}).
 *
 * @param run             the run evaluated
 * @param step            the step of the checkpoint that drew the samples
 * @param sampling        how they were drawn ({@link SampleSource.Drawn#description()})
 * @param quality         FLD beside its floor, recognisable share, class histogram (and memorisation)
 * @param samplingSeconds wall-clock time of drawing them
 */
public record EvaluationResult(String run, long step, String sampling, QualityReport quality, double samplingSeconds) {

    /** "run R at step N (how): quality; sampling 12.3 s", the line scripts/eval-samplers.sh collects. */
    @Override
    public String toString() {
        return "run " + run + " at step " + step + " (" + sampling + "): " + quality
                + String.format(Locale.ROOT, "; sampling %.1f s", samplingSeconds);
    }
}
