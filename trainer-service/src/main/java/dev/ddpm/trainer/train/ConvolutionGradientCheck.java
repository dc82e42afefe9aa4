package dev.ddpm.trainer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;

import java.util.List;
import java.util.Random;

/**
 * Checks libtorch's CPU convolution gradients against a plain-Java reference before training on a
 * CPU. Why: on some machines (seen on AMD Zen 5 VMs, libtorch 2.5.1 / oneDNN 3.5.3) oneDNN's JIT
 * {@code backward_data} kernels for AVX-512 and AVX2 compute a wrong input gradient whenever the
 * output channels are not a multiple of the vector width (16 or 8): a relative error of 0.1 to 1,
 * NaN at random, and heap corruption. The UNet's output convolution has 1 (or 3) output channels,
 * so every gradient upstream of it is wrong there; training diverges or learns nothing, and the
 * forward pass (and so every loss printed) looks right. Capping oneDNN with
 * {@code ONEDNN_MAX_CPU_ISA=AVX} selects kernels that are right there. oneDNN reads that variable
 * once per process, so the launchers ({@code deploy/docker/onednn-isa.sh}) run {@link #main} first
 * and set it when this check fails; the trainer runs the check again before its first CPU step and
 * refuses to train on wrong gradients.
 */
public final class ConvolutionGradientCheck {

    /** Above this relative error a gradient is wrong: float32 rounding gives about 1e-7, the broken kernels 1e-1 or NaN. */
    static final double TOLERANCE = 1e-4;
    /** Exit status of {@link #main} when the gradients are wrong. */
    public static final int WRONG = 3;
    /** Output channels that are (and are not) a multiple of the vector widths, at the UNet's output layer's shape. */
    private static final int[] OUTPUT_CHANNELS = {1, 3, 12, 24};
    private static final int BATCH = 32;
    private static final int INPUT_CHANNELS = 16;
    private static final int SIZE = 8;
    private static final int KERNEL = 3;
    /** The wrong results come at random with several threads: each shape is tried this often. */
    private static final int TRIES = 2;

    private static Outcome cpuOutcome;

    /** Whether the gradients matched the reference, and if not, where and by how much. */
    public record Outcome(boolean correct, String detail) {
    }

    /** Input and weight gradients of {@code sum(conv2d(x, w) * r)}, as some implementation computes them. */
    @FunctionalInterface
    public interface GradientSource {
        float[][] gradients(float[] x, Shape xShape, float[] w, Shape wShape, float[] r, int padding);
    }

    private ConvolutionGradientCheck() {
    }

    /** Fails when any of {@code devices} is a CPU and libtorch's convolution gradients are wrong there (checked once per process). */
    public static void requireCorrect(List<Device> devices) {
        if (devices.stream().noneMatch(d -> Device.Type.CPU.equals(d.getDeviceType()))) {
            return;
        }
        Outcome outcome = cpu();
        if (!outcome.correct()) {
            throw new IllegalStateException(failureMessage(outcome));
        }
    }

    /** The check on libtorch's CPU kernels, run once per process. */
    public static synchronized Outcome cpu() {
        if (cpuOutcome == null) {
            cpuOutcome = check(ConvolutionGradientCheck::libtorch);
        }
        return cpuOutcome;
    }

    /** Compares {@code source} with the reference on each checked shape. */
    public static Outcome check(GradientSource source) {
        Random random = new Random(20200619);   // the DDPM paper's arXiv date: any fixed seed
        double worst = 0;
        for (int outputs : OUTPUT_CHANNELS) {
            Shape xShape = new Shape(BATCH, INPUT_CHANNELS, SIZE, SIZE);
            Shape wShape = new Shape(outputs, INPUT_CHANNELS, KERNEL, KERNEL);
            float[] x = gaussian(random, xShape.size());
            float[] w = gaussian(random, wShape.size());
            float[] r = gaussian(random, (long) BATCH * outputs * SIZE * SIZE);
            double[][] reference = reference(x, w, r, outputs, KERNEL / 2);
            for (int attempt = 0; attempt < TRIES; attempt++) {
                float[][] got = source.gradients(x, xShape, w, wShape, r, KERNEL / 2);
                double inputError = relativeError(got[0], reference[0]);
                double weightError = relativeError(got[1], reference[1]);
                String shape = "%d->%d channel %dx%d convolution".formatted(INPUT_CHANNELS, outputs, KERNEL, KERNEL);
                if (!(inputError <= TOLERANCE)) {
                    return new Outcome(false, "input gradient of a %s off by %.2g (relative)".formatted(shape, inputError));
                }
                if (!(weightError <= TOLERANCE)) {
                    return new Outcome(false, "weight gradient of a %s off by %.2g (relative)".formatted(shape, weightError));
                }
                worst = Math.max(worst, Math.max(inputError, weightError));
            }
        }
        return new Outcome(true, "convolution gradients match the reference within %.1e".formatted(worst));
    }

    static String failureMessage(Outcome outcome) {
        String cap = System.getenv("ONEDNN_MAX_CPU_ISA");
        return "libtorch computes wrong convolution gradients on this CPU (" + outcome.detail() + ", ONEDNN_MAX_CPU_ISA="
                + (cap == null ? "unset" : cap) + "): training here would diverge or learn nothing. Start the trainer with "
                + "ONEDNN_MAX_CPU_ISA=AVX (the scripts and the container entrypoint do so when this check fails; "
                + "see docs/configuration.md), or train on a GPU.";
    }

    /** Runs the check on the CPU; prints the outcome; exits {@value #WRONG} when the gradients are wrong. */
    public static void main(String[] args) {
        DjlEngine.configureOffline(0);
        Outcome outcome = cpu();
        System.out.println((outcome.correct() ? "ok: " : "wrong: ") + outcome.detail());
        System.exit(outcome.correct() ? 0 : WRONG);
    }

    static float[][] libtorch(float[] x, Shape xShape, float[] w, Shape wShape, float[] r, int padding) {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu());
             GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray input = manager.create(x, xShape);
            NDArray weight = manager.create(w, wShape);
            input.setRequiresGradient(true);
            weight.setRequiresGradient(true);
            NDArray output = Conv2d.conv2d(input, weight, null, new Shape(1, 1), new Shape(padding, padding),
                    new Shape(1, 1), 1).singletonOrThrow();
            NDArray weighted = output.mul(manager.create(r, output.getShape())).sum();
            collector.backward(weighted);
            return new float[][] {input.getGradient().toFloatArray(), weight.getGradient().toFloatArray()};
        }
    }

    /**
     * The gradients of {@code sum(conv2d(x, w) * r)} in doubles: d/dx = r correlated with the flipped
     * kernel (a transposed convolution), d/dw = r correlated with x.
     */
    private static double[][] reference(float[] x, float[] w, float[] r, int outputs, int padding) {
        double[] dx = new double[x.length];
        double[] dw = new double[w.length];
        for (int b = 0; b < BATCH; b++) {
            for (int o = 0; o < outputs; o++) {
                for (int i = 0; i < SIZE; i++) {
                    for (int j = 0; j < SIZE; j++) {
                        double upstream = r[((b * outputs + o) * SIZE + i) * SIZE + j];
                        for (int c = 0; c < INPUT_CHANNELS; c++) {
                            for (int u = 0; u < KERNEL; u++) {
                                int row = i + u - padding;
                                if (row < 0 || row >= SIZE) {
                                    continue;
                                }
                                for (int v = 0; v < KERNEL; v++) {
                                    int column = j + v - padding;
                                    if (column < 0 || column >= SIZE) {
                                        continue;
                                    }
                                    int xi = ((b * INPUT_CHANNELS + c) * SIZE + row) * SIZE + column;
                                    int wi = ((o * INPUT_CHANNELS + c) * KERNEL + u) * KERNEL + v;
                                    dx[xi] += upstream * w[wi];
                                    dw[wi] += upstream * x[xi];
                                }
                            }
                        }
                    }
                }
            }
        }
        return new double[][] {dx, dw};
    }

    /** Largest absolute difference over the reference's largest magnitude; NaN when any value is NaN. */
    private static double relativeError(float[] got, double[] reference) {
        if (got.length != reference.length) {
            return Double.NaN;
        }
        double difference = 0;
        double scale = 0;
        for (int i = 0; i < got.length; i++) {
            double d = Math.abs(got[i] - reference[i]);
            if (Double.isNaN(d)) {
                return Double.NaN;
            }
            difference = Math.max(difference, d);
            scale = Math.max(scale, Math.abs(reference[i]));
        }
        return difference / scale;
    }

    private static float[] gaussian(Random random, long n) {
        float[] values = new float[Math.toIntExact(n)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
