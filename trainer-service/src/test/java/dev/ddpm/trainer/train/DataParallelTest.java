package dev.ddpm.trainer.train;

import ai.djl.Device;
import ai.djl.nn.Parameter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

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
             DiffusionTrainer sharded = new DiffusionTrainer(settings,
                     new Device.MultiDevice(Device.cpu(), Device.cpu(), Device.cpu()))) {
            assertThat(sharded.devices()).hasSize(3);
            Map<String, float[]> initial = values(single.parameters());
            assertThat(maxDifference(initial, values(sharded.parameters()))).as("same initial weights").isZero();
            for (int i = 0; i < STEPS; i++) {
                float a = single.trainStep(TinyRun.DATA);
                float b = sharded.trainStep(TinyRun.DATA);
                assertThat(b).as("loss of step %d", i + 1).isCloseTo(a, offset(1e-5f * a));
            }
            Map<String, float[]> trained = values(single.parameters());
            // Mean, not max: Adam's early steps are about lr * sign(g), so a weight whose gradient is
            // zero up to rounding may step either way; what a lost or mis-weighted shard changes is
            // the gradient of every weight.
            double moved = meanDifference(initial, trained);
            double difference = meanDifference(trained, values(sharded.parameters()));
            System.out.printf("data-parallel: weights moved %.2e on average in %d steps; sharded vs single differ by %.2e%n",
                    moved, STEPS, difference);
            assertThat(moved).as("the steps changed the weights").isGreaterThan(1e-5);
            assertThat(difference).as("sharded weights equal single-device weights").isLessThan(moved * 1e-2);
        }
    }

    private static Map<String, float[]> values(Map<String, Parameter> parameters) {
        Map<String, float[]> values = new LinkedHashMap<>();
        parameters.forEach((name, p) -> values.put(name, p.getArray().toFloatArray()));
        return values;
    }

    private static double maxDifference(Map<String, float[]> a, Map<String, float[]> b) {
        double max = 0;
        for (var entry : a.entrySet()) {
            float[] x = entry.getValue();
            float[] y = b.get(entry.getKey());
            for (int i = 0; i < x.length; i++) {
                max = Math.max(max, Math.abs(x[i] - y[i]));
            }
        }
        return max;
    }

    private static double meanDifference(Map<String, float[]> a, Map<String, float[]> b) {
        double sum = 0;
        long count = 0;
        for (var entry : a.entrySet()) {
            float[] x = entry.getValue();
            float[] y = b.get(entry.getKey());
            for (int i = 0; i < x.length; i++) {
                sum += Math.abs(x[i] - y[i]);
            }
            count += x.length;
        }
        return sum / count;
    }
}
