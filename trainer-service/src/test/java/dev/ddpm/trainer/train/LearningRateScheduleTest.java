package dev.ddpm.trainer.train;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

/** Warm-up, then a half-cosine to a tenth of the learning rate; a time box may move where it ends. */
class LearningRateScheduleTest {

    private static TrainingSettings schedule(int warmup, long decaySteps) {
        return TinyRun.settings().toBuilder()
                .learningRate(1e-3f)
                .warmupSteps(warmup)
                .decaySteps(decaySteps)
                .build();
    }

    @Test
    void warmsUpLinearlyThenFollowsTheCosineToItsFloorAndHoldsIt() {
        TrainingSettings s = schedule(100, 1100);
        assertThat(s.learningRateAt(50)).isCloseTo(5e-4f, offset(1e-9f));
        assertThat(s.learningRateAt(100)).as("end of warm-up: the full rate").isCloseTo(1e-3f, offset(1e-9f));
        // Half-way down the cosine: floor + (1 - floor) / 2 of the rate.
        assertThat(s.learningRateAt(600)).isCloseTo(0.55e-3f, offset(1e-8f));
        assertThat(s.learningRateAt(1100)).as("the floor, a tenth").isCloseTo(1e-4f, offset(1e-9f));
        assertThat(s.learningRateAt(5000)).as("held after").isCloseTo(1e-4f, offset(1e-9f));
        assertThat(schedule(100, 0).learningRateAt(5000)).as("no decay").isCloseTo(1e-3f, offset(1e-9f));
    }

    @Test
    void anEarlierDecayEndCompressesTheSameCosine() {
        TrainingSettings s = schedule(100, 1100);
        assertThat(s.learningRateAt(350, 600))
                .as("half-way to an end at 600")
                .isCloseTo(s.learningRateAt(600), offset(1e-9f));
        assertThat(s.learningRateAt(600, 600)).isCloseTo(1e-4f, offset(1e-9f));
        // An end inside the warm-up is taken as the first step after it: the floor right there.
        assertThat(s.learningRateAt(101, 20)).isCloseTo(1e-4f, offset(1e-9f));
        assertThat(s.learningRateAt(50, 20)).as("the warm-up is untouched").isCloseTo(5e-4f, offset(1e-9f));
        assertThat(schedule(100, 0).learningRateAt(5000, 600))
                .as("no decay: nothing to fit")
                .isCloseTo(1e-3f, offset(1e-9f));
    }

    @Test
    void theTrainerFitsItsDecayEndOnlyEarlierThanPlannedAndNeverBeforeItsNextStep() {
        DjlEngine.configureOffline(1);
        try (DiffusionTrainer trainer = new DiffusionTrainer(schedule(10, 1000), Device.cpu())) {
            assertThat(trainer.decayEnd()).isEqualTo(1000);
            trainer.fitDecayEnd(400);
            assertThat(trainer.decayEnd()).isEqualTo(400);
            trainer.fitDecayEnd(900);
            assertThat(trainer.decayEnd())
                    .as("moves back up with a better estimate")
                    .isEqualTo(900);
            trainer.fitDecayEnd(5000);
            assertThat(trainer.decayEnd()).as("never past the plan").isEqualTo(1000);
            trainer.restoreStep(700, 0);
            trainer.fitDecayEnd(300);
            assertThat(trainer.decayEnd()).as("never behind the next step").isEqualTo(701);
        }
        try (DiffusionTrainer constant = new DiffusionTrainer(schedule(10, 0), Device.cpu())) {
            constant.fitDecayEnd(400);
            assertThat(constant.decayEnd()).as("no decay to fit").isZero();
        }
    }
}
