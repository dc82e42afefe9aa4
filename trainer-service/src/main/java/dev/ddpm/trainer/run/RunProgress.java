package dev.ddpm.trainer.run;

import java.util.Locale;
import java.util.Map;

/**
 * A progress report: step of total, the loss smoothed over recent steps, throughput, the
 * estimated time to the last step and, at the steps where it is measured, the quality of samples
 * ({@link dev.ddpm.trainer.eval.QualityReport#metrics()}; empty otherwise).
 */
public record RunProgress(
        long step,
        long totalSteps,
        double smoothedLoss,
        double imagesPerSecond,
        double etaSeconds,
        Map<String, Double> quality) {

    public RunProgress {
        quality = Map.copyOf(quality);
    }

    public RunProgress(long step, long totalSteps, double smoothedLoss, double imagesPerSecond, double etaSeconds) {
        this(step, totalSteps, smoothedLoss, imagesPerSecond, etaSeconds, Map.of());
    }

    /** One console line: a bar, the step, loss, images/s and ETA. */
    public String line() {
        int width = 30;
        int filled = (int) Math.round(width * (double) step / Math.max(1, totalSteps));
        long eta = Math.round(etaSeconds);
        String line = String.format(
                Locale.ROOT,
                "[%s%s] %d/%d loss %.4f %.1f img/s eta %d:%02d:%02d",
                "#".repeat(filled),
                ".".repeat(width - filled),
                step,
                totalSteps,
                smoothedLoss,
                imagesPerSecond,
                eta / 3600,
                eta / 60 % 60,
                eta % 60);
        if (quality.containsKey("quality_fld")) {
            line += String.format(
                    Locale.ROOT,
                    "; quality: FLD %.2f (floor %.2f), recognisable %.1f%% (real %.1f%%)",
                    quality.get("quality_fld"),
                    quality.get("quality_fld_floor"),
                    100 * quality.getOrDefault("quality_recognisable", 0.0),
                    100 * quality.getOrDefault("quality_real_recognisable", 0.0));
            if (quality.containsKey("quality_nearest_train")) {
                line += String.format(
                        Locale.ROOT,
                        ", nearest training image %.3f (real %.3f)",
                        quality.get("quality_nearest_train"),
                        quality.getOrDefault("quality_real_nearest_train", 0.0));
            }
        }
        return line;
    }
}
