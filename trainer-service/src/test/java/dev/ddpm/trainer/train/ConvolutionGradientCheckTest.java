package dev.ddpm.trainer.train;

import ai.djl.Device;
import dev.ddpm.trainer.model.UNetPresets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static dev.ddpm.trainer.train.ConvolutionGradientCheck.Convolution;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * The check that keeps the trainer from training on wrong convolution gradients: libtorch must pass
 * it for every preset's convolutions (the output convolution through its channel padding), and a
 * gradient that is off in one place, or NaN, must not.
 */
class ConvolutionGradientCheckTest {

    @BeforeAll
    static void engine() {
        DjlEngine.configureOffline(2);
    }

    @Test
    void theCheckedConvolutionsAreTheArchitecturesOwn() {
        assertThat(ConvolutionGradientCheck.of(UNetPresets.byName("mnist-28")))
                .containsExactly(
                        new Convolution(16, 16, 1),
                        new Convolution(16, 16, 2),
                        new Convolution(16, 32, 1),
                        new Convolution(32, 32, 1),
                        new Convolution(32, 32, 2),
                        new Convolution(32, 64, 1),
                        new Convolution(64, 64, 1),
                        new Convolution(64, 64, 2),
                        new Convolution(16, 1, 1));
        assertThat(ConvolutionGradientCheck.ofPresets())
                .contains(new Convolution(64, 3, 1), new Convolution(256, 256, 2));
    }

    @Test
    void libtorchMatchesTheReferenceForEveryPreset() {
        ConvolutionGradientCheck.Outcome outcome = ConvolutionGradientCheck.cpu(ConvolutionGradientCheck.ofPresets());
        assertThat(outcome.correct()).as(outcome.detail()).isTrue();
        assertThatCode(() -> ConvolutionGradientCheck.requireCorrect(
                        List.of(Device.cpu()), TinyRun.settings().architecture()))
                .doesNotThrowAnyException();
    }

    @Test
    void oneWrongInputGradientEntryFailsTheCheck() {
        Set<Convolution> convolutions = ConvolutionGradientCheck.of(UNetPresets.byName("tiny"));
        ConvolutionGradientCheck.Outcome outcome =
                ConvolutionGradientCheck.check(convolutions, (x, xs, w, ws, r, stride) -> {
                    float[][] g = ConvolutionGradientCheck.libtorch(x, xs, w, ws, r, stride);
                    if (ws.get(0) == 1) {
                        g[0][g[0].length - 1] += 0.05f * Math.abs(g[0][g[0].length - 1]) + 0.05f; // a wrong tail entry
                    }
                    return g;
                });
        assertThat(outcome.correct()).isFalse();
        assertThat(outcome.detail()).startsWith("input gradient of a 16->1 channel 3x3 convolution off by");
    }

    @Test
    void aNaNWeightGradientFailsTheCheck() {
        Set<Convolution> convolutions = ConvolutionGradientCheck.of(UNetPresets.byName("tiny"));
        ConvolutionGradientCheck.Outcome outcome =
                ConvolutionGradientCheck.check(convolutions, (x, xs, w, ws, r, stride) -> {
                    float[][] g = ConvolutionGradientCheck.libtorch(x, xs, w, ws, r, stride);
                    if (stride == 2) {
                        g[1][0] = Float.NaN;
                    }
                    return g;
                });
        assertThat(outcome.correct()).isFalse();
        assertThat(outcome.detail())
                .isEqualTo("weight gradient of a 16->16 channel 3x3 convolution (stride 2) off by NaN (relative)");
    }

    @Test
    void theFailureSaysHowToFixIt() {
        String message = ConvolutionGradientCheck.failureMessage(
                new ConvolutionGradientCheck.Outcome(false, "input gradient off"));
        assertThat(message)
                .contains("input gradient off")
                .contains("ONEDNN_MAX_CPU_ISA=AVX")
                .contains("docs/configuration.md");
    }
}
