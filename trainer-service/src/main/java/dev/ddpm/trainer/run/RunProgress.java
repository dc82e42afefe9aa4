package dev.ddpm.trainer.run;

/**
 * A progress report: step of total, the loss smoothed over recent steps, throughput and the
 * estimated time to the last step.
 */
public record RunProgress(long step, long totalSteps, double smoothedLoss, double imagesPerSecond, double etaSeconds) {

    /** One console line: a bar, the step, loss, images/s and ETA. */
    public String line() {
        int width = 30;
        int filled = (int) Math.round(width * (double) step / Math.max(1, totalSteps));
        long eta = Math.round(etaSeconds);
        return String.format("[%s%s] %d/%d loss %.4f %.1f img/s eta %d:%02d:%02d", "#".repeat(filled),
                ".".repeat(width - filled), step, totalSteps, smoothedLoss, imagesPerSecond, eta / 3600, eta / 60 % 60,
                eta % 60);
    }
}
