package dev.ddpm.trainer.run;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TimeLimitTest {

    private final AtomicLong now = new AtomicLong(1_000);

    @Test
    void isReachedOnlyAfterItsMinutes() {
        TimeLimit limit = TimeLimit.minutes(1.5, now::get);
        now.addAndGet(90_000_000_000L);
        assertThat(limit.reached()).as("exactly 90 s").isFalse();
        now.incrementAndGet();
        assertThat(limit.reached()).isTrue();
    }

    @Test
    void zeroIsNoLimitAndAHugeLimitDoesNotOverflowIntoAnEndedOne() {
        TimeLimit none = TimeLimit.minutes(0, now::get);
        TimeLimit huge = TimeLimit.minutes(1e300, now::get);
        now.addAndGet(365L * 24 * 3600 * 1_000_000_000L); // a year
        assertThat(none.reached()).isFalse();
        assertThat(huge.reached()).isFalse();
    }

    @Test
    void saysHowMuchIsLeftAndCountsWhatAnEarlierAttemptSpent() {
        TimeLimit limit = TimeLimit.minutes(10, now::get);
        now.addAndGet(60_000_000_000L);
        assertThat(limit.secondsLeft()).isEqualTo(540.0);
        TimeLimit resumed = limit.afterSpending(500);
        assertThat(resumed.secondsLeft()).isEqualTo(40.0);
        assertThat(resumed.reached()).isFalse();
        now.addAndGet(40_000_000_001L);
        assertThat(resumed.reached()).isTrue();
        assertThat(limit.reached()).as("the original is unchanged").isFalse();
        assertThat(TimeLimit.minutes(1, now::get).afterSpending(1e300).secondsLeft())
                .as("capped, no overflow")
                .isZero();
        assertThat(TimeLimit.minutes(0, now::get).afterSpending(1e9).reached())
                .as("no limit")
                .isFalse();
        assertThat(TimeLimit.minutes(0, now::get).secondsLeft()).isInfinite();
        assertThatThrownBy(() -> limit.afterSpending(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("was -1.0");
    }

    @Test
    void aLimitThatIsNotANumberOfMinutesIsRefused() {
        for (double bad : new double[] {-1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> TimeLimit.minutes(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("was " + bad);
        }
    }
}
