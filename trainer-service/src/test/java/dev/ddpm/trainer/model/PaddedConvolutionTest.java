package dev.ddpm.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import dev.ddpm.trainer.train.DjlEngine;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The padded output convolution computes what the plain one does (the forward pass is right on every
 * machine; its gradients are ConvolutionGradientCheckTest's business).
 */
class PaddedConvolutionTest {

    @BeforeAll
    static void engine() {
        DjlEngine.configureOffline(2);
    }

    @Test
    void paddedOutputsEqualThePlainConvolution() {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(3);
            for (int filters : new int[] {1, 3, 16, 20}) {
                NDArray x = manager.randomNormal(new Shape(2, 16, 8, 8));
                NDArray w = manager.randomNormal(new Shape(filters, 16, 3, 3));
                NDArray b = manager.randomNormal(new Shape(filters));
                Shape one = new Shape(1, 1);
                NDArray plain = Conv2d.conv2d(x, w, b, one, one, one, 1).singletonOrThrow();
                NDArray padded = PaddedConvolution.forward(x, w, b, one, one);
                assertThat(padded.getShape()).as("%d filters", filters).isEqualTo(new Shape(2, filters, 8, 8));
                assertThat(padded.sub(plain).abs().max().getFloat())
                        .as("%d filters", filters)
                        .isLessThan(1e-5f);
            }
        }
    }
}
