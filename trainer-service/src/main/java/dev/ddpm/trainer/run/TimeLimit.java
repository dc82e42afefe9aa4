package dev.ddpm.trainer.run;

import dev.ddpm.core.api.TrainingRequest;

import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * A wall-clock limit on training, counted from when it is made (after the data set is read, so the
 * limit is on training, checkpoints and grids). Zero minutes is no limit.
 */
public final class TimeLimit implements BooleanSupplier {

    private final double minutes;
    private final long deadline;
    private final LongSupplier nanoClock;

    private TimeLimit(double minutes, LongSupplier nanoClock) {
        if (!(minutes >= 0) || Double.isInfinite(minutes)) {
            throw new IllegalArgumentException("a time limit is 0 (none) or a number of minutes, was " + minutes);
        }
        this.minutes = minutes;
        this.nanoClock = nanoClock;
        // At most a century: the nanoseconds of a larger limit would overflow and stop the run at once.
        this.deadline = nanoClock.getAsLong() + (long) (Math.min(minutes, TrainingRequest.MAX_MINUTES) * 60e9);
    }

    private TimeLimit(double minutes, LongSupplier nanoClock, long deadline) {
        this.minutes = minutes;
        this.nanoClock = nanoClock;
        this.deadline = deadline;
    }

    /** A limit of {@code minutes} from now; 0 means none. */
    public static TimeLimit minutes(double minutes) {
        return new TimeLimit(minutes, System::nanoTime);
    }

    static TimeLimit minutes(double minutes, LongSupplier nanoClock) {
        return new TimeLimit(minutes, nanoClock);
    }

    /** Whether there is a limit at all. */
    public boolean isSet() {
        return minutes > 0;
    }

    /** Whether the limit has passed (never, for no limit). */
    public boolean reached() {
        return isSet() && nanoClock.getAsLong() - deadline > 0;
    }

    /** Seconds until the limit (at most 0 once it has passed); infinite for no limit. */
    public double secondsLeft() {
        return isSet() ? (deadline - nanoClock.getAsLong()) / 1e9 : Double.POSITIVE_INFINITY;
    }

    /**
     * The same limit with {@code seconds} of it already used, by an earlier attempt of a resumed run:
     * a run's time box holds across restarts instead of starting afresh with each one.
     */
    public TimeLimit afterSpending(double seconds) {
        if (!(seconds >= 0) || Double.isInfinite(seconds)) {
            throw new IllegalArgumentException("seconds spent must be a number >= 0, was " + seconds);
        }
        if (!isSet()) {
            return this;
        }
        // Capped at the limit itself, so the subtraction cannot overflow.
        long spent = (long) (Math.min(seconds, Math.min(minutes, TrainingRequest.MAX_MINUTES) * 60) * 1e9);
        return new TimeLimit(minutes, nanoClock, deadline - spent);
    }

    @Override
    public boolean getAsBoolean() {
        return reached();
    }
}
