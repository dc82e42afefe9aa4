package dev.ddpm.trainer.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine.ParameterException;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The autoguidance options are checked before any checkpoint is read: a half-given or impossible
 * guidance is a usage error, never a silent unguided evaluation. (Loading the guide itself is
 * covered by CheckpointResumeIT against the real S3 server.)
 */
class GuidanceOptionsTest {

    private static GuidanceOptions parse(String... options) {
        String[] args = new String[options.length + 5];
        System.arraycopy(new String[] {"evaluate", "--run", "run-a", "--mnist", "/mnist"}, 0, args, 0, 5);
        System.arraycopy(options, 0, args, 5, options.length);
        return (GuidanceOptions) CliRun.parsed(args).getMixins().get("guidanceOptions");
    }

    private static Guidance open(String... options) {
        return parse(options).open("run-a", null, null, null);
    }

    @Test
    void withoutOptionsNothingIsLoadedAndTheModelSamplesAlone() {
        try (Guidance none = open()) {
            assertThat(none.description()).isEmpty();
            assertThat(none.forPublishing()).isNull();
        }
        try (Guidance one = open("--guidance", "1")) {
            assertThat(one.description()).isEmpty();
        }
    }

    @Test
    void aWeightBelowOneIsRefused() {
        assertThatThrownBy(() -> open("--guidance", "0.5", "--guide-step", "2000"))
                .isInstanceOf(ParameterException.class)
                .hasMessage("--guidance must be a number >= 1 (1 = no guidance), was 0.5");
        assertThatThrownBy(() -> open("--guidance", "NaN", "--guide-step", "2000"))
                .isInstanceOf(ParameterException.class);
        assertThatThrownBy(() -> open("--guidance", "Infinity", "--guide-step", "2000"))
                .isInstanceOf(ParameterException.class);
    }

    @Test
    void aGuideWithoutAWeightOrAWeightWithoutAGuideIsRefused() {
        assertThatThrownBy(() -> open("--guide-step", "2000"))
                .isInstanceOf(ParameterException.class)
                .hasMessage("--guide-step and --guide-run need --guidance above 1");
        assertThatThrownBy(() -> open("--guide-run", "other"))
                .isInstanceOf(ParameterException.class)
                .hasMessage("--guide-step and --guide-run need --guidance above 1");
        assertThatThrownBy(() -> open("--guidance", "2"))
                .isInstanceOf(ParameterException.class)
                .hasMessageStartingWith("--guidance needs --guide-step");
    }

    @Test
    void everyGuidedCommandRefusesThemAsUsageErrorsBeforeReadingACheckpoint() {
        for (String[] command : new String[][] {
            {"evaluate", "--run", "r", "--mnist", "/nowhere"},
            {"sample-grid", "--run", "r", "--out", "grid.png"},
            {"export", "--run", "r"}
        }) {
            String[] args = Arrays.copyOf(command, command.length + 2);
            args[command.length] = "--guidance";
            args[command.length + 1] = "2";
            CliRun run = CliRun.of(args);
            assertThat(run.exitCode()).isEqualTo(2);
            assertThat(run.err()).contains("error: " + command[0] + ": --guidance needs --guide-step");
        }
    }
}
