package dev.ddpm.trainer.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.training.GradientCollector;
import dev.ddpm.trainer.train.DjlEngine;

import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * Whether libtorch's channels-last (NHWC) memory format would make the UNet's convolutions faster on
 * this CPU than the NCHW that DJL hands them. oneDNN spends much of a step reordering NCHW to its
 * blocked layout and back (docs/benchmarks.md); in NHWC it runs on the tensors as they are.
 * {@code java -cp APP dev.ddpm.trainer.bench.ConvolutionLayoutBenchmark [iterations=20]}: for each
 * level of {@code mnist-28} (channels at height x width), two chained 3x3 convolutions forward and
 * backward at batch 64, both layouts in turn, twice. DJL has no memory-format call; a tensor becomes
 * channels-last through permute - reshape (a copy in NHWC order) - permute back, which is what
 * {@code torch.channels_last} is.
 */
public final class ConvolutionLayoutBenchmark {

    private static final int[][] LEVELS = {{16, 28}, {32, 14}, {64, 7}, {96, 7}};
    private static final int BATCH = 64;

    private ConvolutionLayoutBenchmark() {
    }

    public static void main(String[] args) throws ReflectiveOperationException {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        DjlEngine.configureOffline(0);
        ContiguityProbe probe = contiguityProbe();
        System.out.println("| channels | size | layout | round | ms per iteration | output NCHW-contiguous |");
        System.out.println("|---|---|---|---|---|---|");
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int[] level : LEVELS) {
                for (int round = 0; round < 2; round++) {
                    for (boolean channelsLast : new boolean[]{false, true}) {
                        Result r = time(manager, level[0], level[1], channelsLast, iterations, probe);
                        System.out.printf("| %d | %dx%d | %s | %d | %.2f | %s |%n", level[0], level[1], level[1],
                                channelsLast ? "NHWC" : "NCHW", round, r.millis(), r.contiguous());
                    }
                }
            }
        }
    }

    private record Result(double millis, boolean contiguous) {
    }

    private static Result time(NDManager manager, int channels, int size, boolean channelsLast, int iterations,
                               ContiguityProbe probe) throws ReflectiveOperationException {
        NDArray x = manager.randomNormal(new Shape(BATCH, channels, size, size));
        NDArray w = manager.randomNormal(new Shape(channels, channels, 3, 3)).mul(0.1);
        if (channelsLast) {
            x = channelsLast(x);
            w = channelsLast(w);
        }
        x.setRequiresGradient(true);
        w.setRequiresGradient(true);
        Shape one = new Shape(1, 1);
        boolean contiguous = false;
        long start = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
            // The scope frees each iteration's outputs and gradients' intermediates, as a training step's are.
            try (NDScope scope = new NDScope();
                 GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray y = Conv2d.conv2d(x, w, null, one, one, one, 1).singletonOrThrow();
                NDArray z = Conv2d.conv2d(y, w, null, one, one, one, 1).singletonOrThrow();
                if (i == 0) {
                    contiguous = probe.isContiguous(((PtNDArray) z).getHandle());
                }
                collector.backward(z.mul(z).mean());
            }
        }
        return new Result((System.nanoTime() - start) / 1e6 / iterations, contiguous);
    }

    /** The same values with channels-last strides: an NHWC copy viewed as NCHW. */
    static NDArray channelsLast(NDArray x) {
        Shape s = x.getShape();
        return x.transpose(0, 2, 3, 1).reshape(s.get(0), s.get(1) * s.get(2) * s.get(3))
                .reshape(s.get(0), s.get(2), s.get(3), s.get(1)).transpose(0, 3, 1, 2);
    }

    /** torch's is_contiguous() of a tensor handle: false for a channels-last result. */
    private interface ContiguityProbe {
        boolean isContiguous(long handle) throws ReflectiveOperationException;
    }

    /** DJL keeps the call package-private: looked up once, outside the timed loop. */
    private static ContiguityProbe contiguityProbe() throws ReflectiveOperationException {
        Class<?> library = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
        Field instance = library.getDeclaredField("LIB");
        instance.setAccessible(true);
        Method method = library.getDeclaredMethod("torchIsContiguous", long.class);
        method.setAccessible(true);
        Object lib = instance.get(null);
        return handle -> (Boolean) method.invoke(lib, handle);
    }
}
