package dev.ddpm.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.ddpm.trainer.train.DjlEngine;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * GroupNorm against Wu and He's formula written out in plain Java: each group's channels x height x
 * width normalised by that group's mean and biased variance, then each channel's gamma and beta.
 * The block computes it with torch's fused layer norm, so this pins that the regrouping (which
 * axes a group spans) and the affine afterwards are the paper's.
 */
class GroupNormTest {

    @BeforeAll
    static void engine() {
        DjlEngine.configureOffline(2);
    }

    @Test
    void normalisesEachGroupOfEachSampleThenAppliesThePerChannelAffine() {
        int batch = 3, channels = 8, groups = 4, height = 5, width = 6;
        SplittableRandom random = new SplittableRandom(7);
        float[] x = new float[batch * channels * height * width];
        for (int i = 0; i < x.length; i++) {
            // Each sample and channel its own offset and scale, so a wrong grouping shows.
            int sample = i / (channels * height * width);
            int channel = i / (height * width) % channels;
            x[i] = (float) (random.nextGaussian() * (1 + channel) + 3 * sample - channel);
        }
        float[] gamma = new float[channels];
        float[] beta = new float[channels];
        for (int c = 0; c < channels; c++) {
            gamma[c] = (float) (0.5 + random.nextDouble());
            beta[c] = (float) random.nextGaussian();
        }

        float[] actual;
        try (NDManager manager = NDManager.newBaseManager()) {
            GroupNorm norm = new GroupNorm(channels, groups);
            norm.initialize(manager, DataType.FLOAT32, new Shape(batch, channels, height, width));
            norm.gamma().getArray().set(gamma);
            norm.beta().getArray().set(beta);
            NDArray input = manager.create(x, new Shape(batch, channels, height, width));
            actual = norm.forward(new ParameterStore(manager, false), new NDList(input), false)
                    .singletonOrThrow()
                    .toFloatArray();
        }

        float[] expected = groupNorm(x, gamma, beta, batch, channels, groups, height * width);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4, "element " + i);
        }
    }

    private static float[] groupNorm(
            float[] x, float[] gamma, float[] beta, int batch, int channels, int groups, int pixels) {
        float[] y = new float[x.length];
        int perGroup = channels / groups * pixels;
        for (int n = 0; n < batch; n++) {
            for (int g = 0; g < groups; g++) {
                int from = (n * channels + g * channels / groups) * pixels;
                double mean = 0;
                for (int i = from; i < from + perGroup; i++) {
                    mean += x[i];
                }
                mean /= perGroup;
                double variance = 0;
                for (int i = from; i < from + perGroup; i++) {
                    variance += (x[i] - mean) * (x[i] - mean);
                }
                variance /= perGroup;
                for (int i = from; i < from + perGroup; i++) {
                    int channel = i / pixels % channels;
                    y[i] = (float)
                            ((x[i] - mean) / Math.sqrt(variance + GroupNorm.EPSILON) * gamma[channel] + beta[channel]);
                }
            }
        }
        return y;
    }
}
