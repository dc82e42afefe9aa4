package dev.ddpm.trainer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.trainer.model.PaddedConvolution;
import dev.ddpm.trainer.model.UNetPresets;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Checks libtorch's CPU convolution gradients, for the convolutions the UNet runs, against a
 * plain-Java reference before training on a CPU. Why: on some machines (AMD Zen 5 VMs, libtorch
 * 2.5.1 / oneDNN 3.5.3) oneDNN's JIT {@code backward_data} kernels for AVX-512 and AVX2 compute a
 * wrong input gradient whenever the output channels are not a multiple of the vector width (16 or 8):
 * a relative error of 0.1 to 1, NaN at random, heap corruption, while the forward pass (and so every
 * loss printed) looks right. The UNet avoids those kernels ({@link PaddedConvolution}); this check
 * makes sure nothing else is wrong on a machine before hours of training are spent on it. Where it
 * fails, capping oneDNN with {@code ONEDNN_MAX_CPU_ISA=AVX} selects kernels that were right there.
 * oneDNN reads that variable once per process, so the launchers ({@code deploy/docker/onednn-isa.sh})
 * run {@link #main} first and set it when the check fails; the trainer runs the check again, for its
 * own architecture, before its first CPU step and refuses to train on wrong gradients.
 */
public final class ConvolutionGradientCheck {

    /**
     * Above this relative error a gradient is wrong: float32 rounding gives about 1e-7, the broken kernels 1e-1 or NaN.
     */
    static final double TOLERANCE = 1e-4;
    /** Exit status of {@link #main} when the gradients are wrong. */
    public static final int WRONG = 3;

    private static final int BATCH = 4;
    private static final int SIZE = 8;
    private static final int KERNEL = 3;
    /** The wrong results come at random with several threads: each shape is tried this often. */
    private static final int TRIES = 2;

    private static final Map<Set<Convolution>, Outcome> CPU_OUTCOMES = new HashMap<>();

    /** Whether the gradients matched the reference, and if not, where and by how much. */
    public record Outcome(boolean correct, String detail) {}

    /** A 3x3 convolution (padding 1) the UNet runs: input and output channels, stride. */
    public record Convolution(int inputs, int outputs, int stride) {
        @Override
        public String toString() {
            return "%d->%d channel 3x3 convolution%s"
                    .formatted(inputs, outputs, stride == 1 ? "" : " (stride " + stride + ")");
        }
    }

    /** Input and weight gradients of {@code sum(conv2d(x, w) * r)}, as some implementation computes them. */
    @FunctionalInterface
    public interface GradientSource {
        float[][] gradients(float[] x, Shape xShape, float[] w, Shape wShape, float[] r, int stride);
    }

    private ConvolutionGradientCheck() {}

    /**
     * The distinct 3x3 convolutions of {@code architecture} whose input gradient training needs: at
     * every level's width, stride 1 and the downsampling stride 2, the widening ones between levels, and
     * the output convolution.
     */
    public static Set<Convolution> of(UNetConfig architecture) {
        Set<Convolution> convolutions = new LinkedHashSet<>();
        int previous = architecture.baseChannels();
        for (int multiplier : architecture.channelMultipliers()) {
            int channels = architecture.baseChannels() * multiplier;
            convolutions.add(new Convolution(previous, channels, 1));
            convolutions.add(new Convolution(channels, channels, 1));
            convolutions.add(new Convolution(channels, channels, 2));
            previous = channels;
        }
        convolutions.add(new Convolution(architecture.baseChannels(), architecture.imageChannels(), 1));
        return convolutions;
    }

    /** The convolutions of every preset: what the launchers check, before they know the run's preset. */
    public static Set<Convolution> ofPresets() {
        Set<Convolution> convolutions = new LinkedHashSet<>();
        for (String name : UNetPresets.names()) {
            convolutions.addAll(of(UNetPresets.byName(name)));
        }
        return convolutions;
    }

    /**
     * Fails when any of {@code devices} is a CPU and libtorch's gradients for {@code architecture}'s
     * convolutions are wrong there (checked once per process and architecture).
     */
    public static void requireCorrect(List<Device> devices, UNetConfig architecture) {
        if (devices.stream().noneMatch(d -> Device.Type.CPU.equals(d.getDeviceType()))) {
            return;
        }
        Outcome outcome = cpu(of(architecture));
        if (!outcome.correct()) {
            throw new IllegalStateException(failureMessage(outcome));
        }
    }

    /** The check of {@code convolutions} on libtorch's CPU kernels, run once per process. */
    public static synchronized Outcome cpu(Set<Convolution> convolutions) {
        return CPU_OUTCOMES.computeIfAbsent(
                Set.copyOf(convolutions), c -> check(convolutions, ConvolutionGradientCheck::libtorch));
    }

    /** Compares {@code source} with the reference on each of {@code convolutions}. */
    public static Outcome check(Set<Convolution> convolutions, GradientSource source) {
        Random random = new Random(20200619); // the DDPM paper's arXiv date: any fixed seed
        double worst = 0;
        for (Convolution convolution : convolutions) {
            int stride = convolution.stride();
            int outputSize = (SIZE - 1) / stride + 1;
            Shape xShape = new Shape(BATCH, convolution.inputs(), SIZE, SIZE);
            Shape wShape = new Shape(convolution.outputs(), convolution.inputs(), KERNEL, KERNEL);
            float[] x = gaussian(random, xShape.size());
            float[] w = gaussian(random, wShape.size());
            float[] r = gaussian(random, (long) BATCH * convolution.outputs() * outputSize * outputSize);
            double[][] reference = reference(convolution, x, w, r);
            for (int attempt = 0; attempt < TRIES; attempt++) {
                float[][] got = source.gradients(x, xShape, w, wShape, r, stride);
                double inputError = relativeError(got[0], reference[0]);
                double weightError = relativeError(got[1], reference[1]);
                if (!(inputError <= TOLERANCE)) {
                    return new Outcome(
                            false, "input gradient of a %s off by %.2g (relative)".formatted(convolution, inputError));
                }
                if (!(weightError <= TOLERANCE)) {
                    return new Outcome(
                            false,
                            "weight gradient of a %s off by %.2g (relative)".formatted(convolution, weightError));
                }
                worst = Math.max(worst, Math.max(inputError, weightError));
            }
        }
        return new Outcome(
                true,
                "gradients of %d convolutions match the reference within %.1e".formatted(convolutions.size(), worst));
    }

    static String failureMessage(Outcome outcome) {
        String cap = System.getenv("ONEDNN_MAX_CPU_ISA");
        return "libtorch computes wrong convolution gradients on this CPU (" + outcome.detail()
                + ", ONEDNN_MAX_CPU_ISA="
                + (cap == null ? "unset" : cap)
                + "): training here would diverge or learn nothing. Start the trainer with "
                + "ONEDNN_MAX_CPU_ISA=AVX (the scripts and the container entrypoint do so when this check fails; "
                + "see docs/configuration.md), or train on a GPU.";
    }

    /** Runs the check on the CPU; prints the outcome; exits {@value #WRONG} when the gradients are wrong. */
    public static void main(String[] args) {
        DjlEngine.configureOffline(0);
        Outcome outcome = cpu(ofPresets());
        System.out.println((outcome.correct() ? "ok: " : "wrong: ") + outcome.detail());
        System.exit(outcome.correct() ? 0 : WRONG);
    }

    /** The gradients as the UNet computes them: through {@link PaddedConvolution}. */
    static float[][] libtorch(float[] x, Shape xShape, float[] w, Shape wShape, float[] r, int stride) {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu());
                GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray input = manager.create(x, xShape);
            NDArray weight = manager.create(w, wShape);
            input.setRequiresGradient(true);
            weight.setRequiresGradient(true);
            NDArray output = PaddedConvolution.forward(
                    input, weight, null, new Shape(stride, stride), new Shape(KERNEL / 2, KERNEL / 2));
            NDArray weighted = output.mul(manager.create(r, output.getShape())).sum();
            collector.backward(weighted);
            return new float[][] {
                input.getGradient().toFloatArray(), weight.getGradient().toFloatArray()
            };
        }
    }

    /**
     * The gradients of {@code sum(conv2d(x, w) * r)} in doubles: d/dx = r correlated with the flipped
     * kernel (a transposed convolution), d/dw = r correlated with x.
     */
    private static double[][] reference(Convolution convolution, float[] x, float[] w, float[] r) {
        int inputs = convolution.inputs();
        int outputs = convolution.outputs();
        int stride = convolution.stride();
        int padding = KERNEL / 2;
        int outputSize = (SIZE - 1) / stride + 1;
        double[] dx = new double[x.length];
        double[] dw = new double[w.length];
        for (int b = 0; b < BATCH; b++) {
            for (int o = 0; o < outputs; o++) {
                for (int i = 0; i < outputSize; i++) {
                    for (int j = 0; j < outputSize; j++) {
                        double upstream = r[((b * outputs + o) * outputSize + i) * outputSize + j];
                        for (int c = 0; c < inputs; c++) {
                            for (int u = 0; u < KERNEL; u++) {
                                int row = i * stride + u - padding;
                                if (row < 0 || row >= SIZE) {
                                    continue;
                                }
                                for (int v = 0; v < KERNEL; v++) {
                                    int column = j * stride + v - padding;
                                    if (column < 0 || column >= SIZE) {
                                        continue;
                                    }
                                    int xi = ((b * inputs + c) * SIZE + row) * SIZE + column;
                                    int wi = ((o * inputs + c) * KERNEL + u) * KERNEL + v;
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
