package dev.ddpm.trainer.train;

import ai.djl.Device;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * The check that keeps the trainer from training on wrong convolution gradients. The suite runs
 * with the oneDNN cap the launchers choose (trainer-service/pom.xml sets ONEDNN_MAX_CPU_ISA), so
 * libtorch must pass here; a gradient that is off in one place, or NaN, must not.
 */
class ConvolutionGradientCheckTest {

    @BeforeAll
    static void engine() {
        DjlEngine.configureOffline(2);
    }

    @Test
    void libtorchMatchesTheReferenceUnderTheSuitesCap() {
        ConvolutionGradientCheck.Outcome outcome = ConvolutionGradientCheck.cpu();
        assertThat(outcome.correct()).as(outcome.detail()).isTrue();
        assertThatCode(() -> ConvolutionGradientCheck.requireCorrect(List.of(Device.cpu()))).doesNotThrowAnyException();
    }

    @Test
    void oneWrongInputGradientEntryFailsTheCheck() {
        ConvolutionGradientCheck.Outcome outcome = ConvolutionGradientCheck.check((x, xs, w, ws, r, padding) -> {
            float[][] g = ConvolutionGradientCheck.libtorch(x, xs, w, ws, r, padding);
            if (ws.get(0) == 12) {
                g[0][g[0].length - 1] += 0.05f * Math.abs(g[0][g[0].length - 1]) + 0.05f;   // a wrong tail entry
            }
            return g;
        });
        assertThat(outcome.correct()).isFalse();
        assertThat(outcome.detail()).startsWith("input gradient of a 16->12 channel 3x3 convolution off by");
    }

    @Test
    void aNaNWeightGradientFailsTheCheck() {
        ConvolutionGradientCheck.Outcome outcome = ConvolutionGradientCheck.check((x, xs, w, ws, r, padding) -> {
            float[][] g = ConvolutionGradientCheck.libtorch(x, xs, w, ws, r, padding);
            g[1][0] = Float.NaN;
            return g;
        });
        assertThat(outcome.correct()).isFalse();
        assertThat(outcome.detail()).isEqualTo("weight gradient of a 16->1 channel 3x3 convolution off by NaN (relative)");
    }

    @Test
    void theFailureSaysHowToFixIt() {
        String message = ConvolutionGradientCheck.failureMessage(new ConvolutionGradientCheck.Outcome(false, "input gradient off"));
        assertThat(message).contains("input gradient off").contains("ONEDNN_MAX_CPU_ISA=AVX").contains("docs/configuration.md");
    }
}
