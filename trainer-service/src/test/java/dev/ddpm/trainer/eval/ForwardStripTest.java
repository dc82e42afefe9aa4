package dev.ddpm.trainer.eval;

import dev.ddpm.core.model.DiffusionConfig;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The forward-process strip: x_0 first, then the signal fading into noise as t grows. */
class ForwardStripTest {

    private static final int SIZE = 16;

    @Test
    void theImageFadesIntoNoiseLeftToRight() {
        float[] x0 = new float[3 * SIZE * SIZE];
        for (int i = 0; i < x0.length; i++) {
            x0[i] = (i % SIZE) < SIZE / 2 ? -1f : 1f; // dark left half, bright right half, in every channel
        }
        List<Integer> timesteps = List.of(0, 100, 300, 999);
        BufferedImage strip = ForwardStrip.draw(x0, 3, SIZE, DiffusionConfig.ho2020(), timesteps, 1);
        assertThat(strip.getWidth()).isEqualTo(4 * SIZE + 5 * 2);
        double[] contrast = new double[4];
        for (int k = 0; k < 4; k++) {
            contrast[k] = contrast(strip, 2 + k * (SIZE + 2), 2);
        }
        // Bright minus dark half: the full 255 for x_0, shrinking with sqrt(abar_t), about nothing at t = 999.
        assertThat(contrast[0]).isGreaterThan(250);
        assertThat(contrast[1]).isLessThan(contrast[0]).isGreaterThan(contrast[2]);
        assertThat(Math.abs(contrast[3])).isLessThan(40);
        assertThatThrownBy(() -> ForwardStrip.draw(x0, 3, SIZE, DiffusionConfig.ho2020(), List.of(1000), 1))
                .hasMessage("timesteps must be in 0..999, was 1000");
    }

    private static double contrast(BufferedImage strip, int left, int top) {
        double dark = 0;
        double bright = 0;
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                int green = (strip.getRGB(left + x, top + y) >> 8) & 0xFF;
                if (x < SIZE / 2) {
                    dark += green;
                } else {
                    bright += green;
                }
            }
        }
        return (bright - dark) / (SIZE * SIZE / 2.0);
    }
}
