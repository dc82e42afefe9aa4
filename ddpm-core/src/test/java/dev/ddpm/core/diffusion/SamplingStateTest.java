package dev.ddpm.core.diffusion;

import dev.ddpm.core.model.DiffusionConfig;
import org.junit.jupiter.api.Test;

import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/** Stepping one request at a time gives what the whole-batch loop gives, image for image. */
class SamplingStateTest {

    private static final DiffusionConfig DIFFUSION = DiffusionConfig.ho2020();
    /** A fixed, t-dependent stand-in network: eps = 0.3 x + t / 2000. */
    private static final Denoiser NETWORK = (x, t) -> {
        float[][] out = new float[x.length][];
        for (int i = 0; i < x.length; i++) {
            out[i] = new float[x[i].length];
            for (int j = 0; j < x[i].length; j++) {
                out[i][j] = 0.3f * x[i][j] + t[i] / 2000f;
            }
        }
        return out;
    };

    @Test
    void anImageDependsOnItsSeedAndIndexOnlyNotOnItsBatch() {
        Supplier<Scheduler> ddim = () -> Schedulers.create(
                DIFFUSION, SchedulerSettings.of(SamplerKind.DDIM).withSteps(20).withEta(0.5));
        float[][] batch = ReverseProcess.sample(NETWORK, ddim, 3, 12, 9, 0);
        SamplingState alone = new SamplingState(ddim, 1, 12, 9, 2);
        while (!alone.finished()) {
            alone.step(NETWORK.predict(alone.samples(), new int[] {alone.currentTimestep()}));
        }
        assertThat(alone.stepsDone()).isEqualTo(20);
        assertThat(alone.samples()[0]).containsExactly(batch[2]);
        assertThat(alone.predictedX0()[0]).hasSize(12);
    }
}
