package dev.ddpm.trainer.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The autoguidance options are checked before any checkpoint is read: a half-given or impossible
 * guidance is a usage error, never a silent unguided evaluation. (Loading the guide itself is
 * covered by CheckpointResumeIT against the real S3 server.)
 */
class GuidanceOptionsTest {

    private static Guidance open(String... args) {
        return Guidance.open(new Arguments("evaluate", args, 0, Guidance.OPTIONS), "run-a", null, null, null);
    }

    @Test
    void withoutOptionsNothingIsLoadedAndTheModelSamplesAlone() {
        try (Guidance none = open()) {
            assertThat(none.description()).isEmpty();
        }
        try (Guidance one = open("--guidance", "1")) {
            assertThat(one.description()).isEmpty();
        }
    }

    @Test
    void aWeightBelowOneIsRefused() {
        assertThatThrownBy(() -> open("--guidance", "0.5", "--guide-step", "2000"))
                .isInstanceOf(Arguments.UsageException.class)
                .hasMessage("evaluate: --guidance must be a number >= 1 (1 = no guidance), was 0.5");
        assertThatThrownBy(() -> open("--guidance", "NaN", "--guide-step", "2000"))
                .isInstanceOf(Arguments.UsageException.class);
    }

    @Test
    void aGuideWithoutAWeightOrAWeightWithoutAGuideIsRefused() {
        assertThatThrownBy(() -> open("--guide-step", "2000"))
                .isInstanceOf(Arguments.UsageException.class)
                .hasMessage("evaluate: --guide-step and --guide-run need --guidance above 1");
        assertThatThrownBy(() -> open("--guidance", "2"))
                .isInstanceOf(Arguments.UsageException.class)
                .hasMessageStartingWith("evaluate: --guidance needs --guide-step");
    }
}
