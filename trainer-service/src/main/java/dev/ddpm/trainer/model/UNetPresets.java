package dev.ddpm.trainer.model;

import dev.ddpm.core.model.UNetConfig;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Named architectures, like denoising-diffusion-pytorch's presets. */
public final class UNetPresets {

    private static final Map<String, UNetConfig> PRESETS = new TreeMap<>(Map.of(
            // Fast tests: 16x16, two levels, attention at the 8x8 bottom, no dropout.
            "tiny", new UNetConfig(1, 16, 16, List.of(1, 2), List.of(8), 1, 4, 0.0),
            // tiny in colour, for the suite's colour training.
            "tiny-colour", new UNetConfig(3, 16, 16, List.of(1, 2), List.of(8), 1, 4, 0.0),
            // MNIST: 28x28 padded to 32x32, one channel.
            "mnist", new UNetConfig(1, 32, 32, List.of(1, 2, 2), List.of(16), 2, 8, 0.1),
            // The MNIST recipe on a CPU budget, on MNIST's own 28x28 (levels 28, 14, 7): 16 and 32 channels
            // at the two top levels, where convolutions cost the most, 64 at 7x7 with attention there, one
            // residual block per level, no dropout (docs/benchmarks.md, docs/evaluation.md); evaluate
            // centres its samples on the classifier's 32x32.
            "mnist-28", new UNetConfig(1, 28, 16, List.of(1, 2, 4), List.of(7), 1, 8, 0.0),
            // mnist-28 with 96 channels instead of 64 at the 7x7 level, where a channel costs the least
            // (49 positions): 1.9x the parameters for about 1.25x the step time (docs/benchmarks.md); in 88
            // CPU minutes it reaches the share mnist-28 does (docs/evaluation.md), so it is for longer budgets.
            "mnist-28w", new UNetConfig(1, 28, 16, List.of(1, 2, 6), List.of(7), 1, 8, 0.0),
            // The article's shape on a 2-core CPU budget: 3x32x32, multipliers 1,2,4,4, attention at 16
            // and 8, with a quarter of its channels and one residual block per level (docs/evaluation.md, "Colour").
            "colour-32", new UNetConfig(3, 32, 16, List.of(1, 2, 4, 4), List.of(16, 8), 1, 8, 0.0),
            // The reference article: 3x32x32, base 64, multipliers 1,2,4,4, attention at 16 and 8.
            "article", new UNetConfig(3, 32, 64, List.of(1, 2, 4, 4), List.of(16, 8), 2, 32, 0.1)));

    private UNetPresets() {
    }

    public static UNetConfig byName(String name) {
        UNetConfig config = PRESETS.get(name);
        if (config == null) {
            throw new IllegalArgumentException("unknown preset '" + name + "'; known presets: " + PRESETS.keySet());
        }
        return config;
    }

    /** The preset with another image geometry (the data set decides channels and size). */
    public static UNetConfig withImage(UNetConfig preset, int channels, int size) {
        return new UNetConfig(channels, size, preset.baseChannels(), preset.channelMultipliers(),
                preset.attentionResolutions(), preset.resBlocksPerLevel(), preset.groups(), preset.dropout());
    }

    public static java.util.Set<String> names() {
        return PRESETS.keySet();
    }
}
