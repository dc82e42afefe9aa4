package dev.ddpm.trainer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.ddpm.trainer.train.TinyRun.meanDifference;
import static dev.ddpm.trainer.train.TinyRun.values;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Dropout masks are a function of (seed, step), like the batch: a run whose torch generator is
 * disturbed halfway (what a restart from a checkpoint does, since DJL cannot save that generator)
 * ends with the weights of an undisturbed run.
 */
class DropoutReproducibilityTest {

    @BeforeAll
    static void engine() {
        DjlEngine.configureOffline(2);
    }

    @Test
    void aDisturbedGeneratorDoesNotChangeTheRun() {
        TrainingSettings settings = TinyRun.settingsWithDropout(0.3);
        try (DiffusionTrainer straight = new DiffusionTrainer(settings, Device.cpu());
                DiffusionTrainer disturbed = new DiffusionTrainer(settings, Device.cpu())) {
            Map<String, float[]> initial = values(straight.network().parameters());
            for (int i = 0; i < 4; i++) {
                straight.trainStep(TinyRun.DATA);
            }
            disturbed.trainStep(TinyRun.DATA);
            disturbed.trainStep(TinyRun.DATA);
            Engine.getEngine("PyTorch").setRandomSeed(12345);
            disturbed.network().manager().randomUniform(0f, 1f, new Shape(1000)).close();
            disturbed.trainStep(TinyRun.DATA);
            disturbed.trainStep(TinyRun.DATA);

            Map<String, float[]> end = values(straight.network().parameters());
            double moved = meanDifference(initial, end);
            double difference = meanDifference(end, values(disturbed.network().parameters()));
            System.out.printf(
                    "dropout 0.3: weights moved %.2e in 4 steps; disturbed vs straight differ by %.2e%n",
                    moved, difference);
            assertThat(moved).isGreaterThan(1e-5);
            assertThat(difference).isLessThan(moved * 1e-2);
        }
    }
}
