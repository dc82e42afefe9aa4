package dev.ddpm.trainer.run;

/**
 * Fits a time-boxed run's cosine learning-rate decay to the steps the machine will reach. A run
 * planned for more steps than its time box allows would otherwise stop part-way down the cosine with
 * its learning rate well above the floor (an unfitted 88-minute MNIST run stops at 87 % of it); fitted, it
 * ends annealed whatever the machine's speed that day.
 *
 * <p>The projection is this attempt's average rate so far (grids and checkpoints included) times the
 * time left. It is refitted at every progress report, in both directions, so an early estimate
 * spoiled by start-up or a busy neighbour corrects itself as the average settles.
 */
final class TimeBoxedDecay {

    /** Wait this long (or a twentieth of the box, if shorter) before trusting the rate. */
    static final double SETTLE_SECONDS = 60;

    static final long SETTLE_STEPS = 5;

    private TimeBoxedDecay() {}

    /**
     * The step a run at {@code step} reaches when its time box ends, at the rate of this attempt so
     * far ({@code stepsThisAttempt} in {@code secondsThisAttempt}); -1 while too few steps or seconds
     * have passed to know the rate.
     */
    static long projectedLastStep(long step, long stepsThisAttempt, double secondsThisAttempt, double secondsLeft) {
        double settle = Math.min(SETTLE_SECONDS, 0.05 * (secondsThisAttempt + Math.max(secondsLeft, 0)));
        if (stepsThisAttempt < SETTLE_STEPS || !(secondsThisAttempt >= settle) || secondsThisAttempt <= 0) {
            return -1;
        }
        double stepsLeft = stepsThisAttempt / secondsThisAttempt * Math.max(secondsLeft, 0);
        return step + (long) Math.min(stepsLeft, Long.MAX_VALUE / 2.0);
    }
}
