package dev.ddpm.trainer.train;

import ai.djl.Device;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * On a CPU the denoiser runs a large request in chunks of rows: every row must come back in its own
 * place, with the value it has when predicted alone.
 */
class DenoiserChunkingTest {

    @BeforeAll
    static void engine() {
        DjlEngine.configureOffline(2);
    }

    @Test
    void aRequestLargerThanOneChunkMatchesEachRowPredictedAlone() {
        try (DiffusionTrainer trainer = new DiffusionTrainer(TinyRun.settings(), Device.cpu())) {
            int rows = 2 * DiffusionNetwork.CPU_ROWS_PER_FORWARD + 30;
            int length = TinyRun.DATA.image(0).length;
            SplittableRandom random = new SplittableRandom(3);
            float[][] x = new float[rows][length];
            int[] t = new int[rows];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < length; j++) {
                    x[i][j] = (float) random.nextGaussian();
                }
                t[i] = random.nextInt(1000);
            }

            float[][] together = trainer.network().denoiser().predict(x, t);

            assertThat(together).hasNumberOfRows(rows);
            int chunk = DiffusionNetwork.CPU_ROWS_PER_FORWARD;
            for (int i : new int[] {0, chunk - 1, chunk, 2 * chunk, rows - 1}) {
                float[] alone = trainer.network().denoiser().predict(new float[][] {x[i]}, new int[] {t[i]})[0];
                assertThat(together[i]).as("row %d", i).hasSize(length);
                for (int j = 0; j < length; j++) {
                    assertThat(together[i][j]).as("row %d, value %d", i, j).isCloseTo(alone[j], within(1e-5f));
                }
            }
            // Neighbouring rows differ (their inputs and timesteps do), so a row put in the wrong place shows.
            assertThat(together[chunk][0]).isNotEqualTo(together[chunk - 1][0]);
        }
    }
}
