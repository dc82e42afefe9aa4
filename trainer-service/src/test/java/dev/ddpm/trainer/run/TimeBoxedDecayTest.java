package dev.ddpm.trainer.run;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TimeBoxedDecayTest {

    @Test
    void projectsTheStepReachedAtTheRateSoFar() {
        // 600 steps in 300 s of this attempt (resumed at step 1,000), 1,800 s left: 3,600 more.
        assertThat(TimeBoxedDecay.projectedLastStep(1_600, 600, 300, 1_800)).isEqualTo(5_200);
        assertThat(TimeBoxedDecay.projectedLastStep(1_600, 600, 300, -5))
                .as("past the box")
                .isEqualTo(1_600);
    }

    @Test
    void waitsForTheRateToSettle() {
        // An 88-minute box: the first minute (start-up, JIT) is not trusted.
        assertThat(TimeBoxedDecay.projectedLastStep(100, 100, 30, 5_250)).isEqualTo(-1);
        assertThat(TimeBoxedDecay.projectedLastStep(200, 200, 60, 5_220)).isEqualTo(200 + 17_400);
        // A 6-second box waits a twentieth of it, and for a few steps.
        assertThat(TimeBoxedDecay.projectedLastStep(4, 4, 1, 5)).as("4 steps").isEqualTo(-1);
        assertThat(TimeBoxedDecay.projectedLastStep(10, 10, 1, 5)).isEqualTo(60);
        assertThat(TimeBoxedDecay.projectedLastStep(10, 10, 0.2, 5.8))
                .as("0.2 s < 0.3 s")
                .isEqualTo(-1);
    }
}
