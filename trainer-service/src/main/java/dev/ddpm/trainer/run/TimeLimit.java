package dev.ddpm.trainer.run;

import dev.ddpm.core.events.TrainingConfig;

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
        this.deadline = nanoClock.getAsLong() + (long) (Math.min(minutes, TrainingConfig.MAX_MINUTES) * 60e9);
    }

    /** A limit of {@code minutes} from now; 0 means none. */
    public static TimeLimit minutes(double minutes) {
        return new TimeLimit(minutes, System::nanoTime);
    }

    static TimeLimit minutes(double minutes, LongSupplier nanoClock) {
        return new TimeLimit(minutes, nanoClock);
    }

    /** Whether the limit has passed (never, for no limit). */
    public boolean reached() {
        return minutes > 0 && nanoClock.getAsLong() - deadline > 0;
    }

    @Override
    public boolean getAsBoolean() {
        return reached();
    }
}
