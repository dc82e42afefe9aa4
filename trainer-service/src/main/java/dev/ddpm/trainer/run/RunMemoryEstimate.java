package dev.ddpm.trainer.run;

import dev.ddpm.core.model.UNetConfig;

import java.util.List;
import java.util.Locale;

/**
 * Roughly how much native memory (or GPU memory) one training step of a run takes, from its UNet's
 * configuration and batch size, before anything is built: a run that cannot fit is refused up front
 * rather than killed mid-step, again at every redelivery.
 *
 * <p>Parameters count six times (weights, gradients, AdamW's two moments, the EMA copy and the copy an
 * export makes). Activations kept for the backward pass are, per residual or attention block,
 * {@link #TENSORS_PER_BLOCK} tensors of its output's size (normalisations, activations, convolutions,
 * the skip concatenations), plus an attention block's score and softmax matrices, batch x (HW)^2 each.
 * The factor was calibrated on a CPU (libtorch, two threads) by the growth of the process's peak
 * resident memory over one first training step, after a warm-up: mnist at batch 64 grew 2.3 GiB, at
 * batch 128 4.4 GiB, mnist-28 at 128 1.1 GiB, tiny (16x16) at 512 1.4 GiB; 12 tensors per block
 * estimated 1.7, 3.4, 0.9 and 1.2 GiB, 20 to 33 % low, so the factor is 15. Within 2x is what it is for.
 *
 * @param parameters the UNet's parameter count
 * @param bytes      the estimated peak of one training step
 */
public record RunMemoryEstimate(long parameters, long bytes) {

    /** Tensors of a block's output size that its forward pass keeps for the backward one. */
    static final int TENSORS_PER_BLOCK = 15;
    /** weights, gradients, two AdamW moments, EMA, export copy */
    static final int PARAMETER_COPIES = 6;

    private static final long FLOAT = 4;

    /** The estimate for training {@code architecture} on batches of {@code batchSize} images. */
    public static RunMemoryEstimate of(UNetConfig architecture, int batchSize) {
        Walk walk = new Walk(batchSize);
        walk.traverse(architecture);
        return new RunMemoryEstimate(
                walk.parameters, walk.parameters * FLOAT * PARAMETER_COPIES + walk.activationBytes);
    }

    /** "412 GiB", "850 MiB": bytes for people. */
    public static String human(long bytes) {
        double gib = bytes / (double) (1L << 30);
        if (gib >= 100) {
            return String.format(Locale.ROOT, "%.0f GiB", gib);
        }
        if (gib >= 1) {
            return String.format(Locale.ROOT, "%.1f GiB", gib);
        }
        return String.format(Locale.ROOT, "%.0f MiB", bytes / (double) (1L << 20));
    }

    /** Walks the UNet as {@code dev.ddpm.trainer.model.UNet} builds it, counting parameters and activations. */
    private static final class Walk {

        private final long batch;
        long parameters;
        long activationBytes;
        private int tembDim;

        Walk(int batch) {
            this.batch = batch;
        }

        void traverse(UNetConfig config) {
            int base = config.baseChannels();
            tembDim = base * 4;
            List<Integer> multipliers = config.channelMultipliers();
            parameters += linear(base, tembDim) + linear(tembDim, tembDim);
            int resolution = config.imageSize();
            parameters += conv(config.imageChannels(), base, 3);
            activations(base, resolution);
            java.util.ArrayDeque<Integer> skips = new java.util.ArrayDeque<>();
            skips.push(base);
            int channels = base;
            for (int level = 0; level < multipliers.size(); level++) {
                int out = base * multipliers.get(level);
                for (int i = 0; i < config.resBlocksPerLevel(); i++) {
                    residual(channels, out, resolution);
                    attention(config, out, resolution);
                    channels = out;
                    skips.push(channels);
                }
                if (level < multipliers.size() - 1) {
                    parameters += conv(channels, channels, 3);
                    resolution /= 2; // as UNet counts, which decides where attention goes
                    activations(channels, resolution);
                    skips.push(channels);
                }
            }
            residual(channels, channels, resolution);
            parameters += attentionParameters(channels);
            attentionActivations(channels, resolution);
            residual(channels, channels, resolution);
            for (int level = multipliers.size() - 1; level >= 0; level--) {
                int out = base * multipliers.get(level);
                for (int i = 0; i <= config.resBlocksPerLevel(); i++) {
                    residual(channels + skips.pop(), out, resolution);
                    attention(config, out, resolution);
                    channels = out;
                }
                if (level > 0) {
                    parameters += conv(channels, channels, 3);
                    resolution *= 2;
                    activations(channels, resolution);
                }
            }
            parameters += 2L * channels + conv(channels, config.imageChannels(), 3);
            activations(channels, resolution);
        }

        private void residual(int in, int out, int resolution) {
            parameters += 2L * in + conv(in, out, 3) + linear(tembDim, out) + 2L * out + conv(out, out, 3);
            if (in != out) {
                parameters += conv(in, out, 1);
            }
            activations(out, resolution);
        }

        private void attention(UNetConfig config, int channels, int resolution) {
            if (config.attentionResolutions().contains(resolution)) {
                parameters += attentionParameters(channels);
                attentionActivations(channels, resolution);
            }
        }

        private static long attentionParameters(int channels) {
            return 2L * channels + 4 * conv(channels, channels, 1);
        }

        private void attentionActivations(int channels, int resolution) {
            activations(channels, resolution);
            long positions = (long) resolution * resolution;
            activationBytes += 2 * batch * positions * positions * FLOAT; // scores and their softmax
        }

        private void activations(int channels, int resolution) {
            activationBytes += TENSORS_PER_BLOCK * batch * channels * (long) resolution * resolution * FLOAT;
        }

        private static long conv(int in, int out, int kernel) {
            return (long) out * in * kernel * kernel + out;
        }

        private static long linear(int in, int out) {
            return (long) in * out + out;
        }
    }
}
