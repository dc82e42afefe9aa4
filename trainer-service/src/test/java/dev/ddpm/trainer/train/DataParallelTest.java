package dev.ddpm.trainer.train;

import ai.djl.Device;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.ddpm.trainer.train.TinyRun.meanDifference;
import static dev.ddpm.trainer.train.TinyRun.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

/**
 * Data-parallel training equals training on one device: the same seeds give the same batch, and
 * the sharded step (three shards, weights copied per shard inside the gradient tape, gradients
 * gathered by autograd) must give the loss and the weights of the unsharded step. No machine here
 * has two GPUs, so the shards run on CPU copies: on GPUs only the copies' device differs.
 */
class DataParallelTest {

    private static final int STEPS = 3;

    @BeforeAll
    static void engine() {
        DjlEngine.configureOffline(2);
    }

    @Test
    void shardedStepsMatchOneDevice() {
        TrainingSettings settings = TinyRun.settings();
        try (DiffusionTrainer single = new DiffusionTrainer(settings, Device.cpu());
                DiffusionTrainer sharded = new DiffusionTrainer(
                        settings, new Device.MultiDevice(Device.cpu(), Device.cpu(), Device.cpu()))) {
            assertThat(sharded.network().devices()).hasSize(3);
            Map<String, float[]> initial = values(single.network().parameters());
            assertThat(meanDifference(initial, values(sharded.network().parameters())))
                    .as("same initial weights")
                    .isZero();
            for (int i = 0; i < STEPS; i++) {
                float a = single.trainStep(TinyRun.DATA);
                float b = sharded.trainStep(TinyRun.DATA);
                assertThat(b).as("loss of step %d", i + 1).isCloseTo(a, offset(1e-5f * a));
            }
            Map<String, float[]> trained = values(single.network().parameters());
            double moved = meanDifference(initial, trained);
            double difference = meanDifference(trained, values(sharded.network().parameters()));
            System.out.printf(
                    "data-parallel: weights moved %.2e on average in %d steps; sharded vs single differ by %.2e%n",
                    moved, STEPS, difference);
            assertThat(moved).as("the steps changed the weights").isGreaterThan(1e-5);
            assertThat(difference)
                    .as("sharded weights equal single-device weights")
                    .isLessThan(moved * 1e-2);
        }
    }
}
