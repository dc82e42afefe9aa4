package dev.ddpm.trainer.model;

import dev.ddpm.core.model.UNetConfig;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Named architectures, like denoising-diffusion-pytorch's presets. */
public final class UNetPresets {

    private static final Map<String, UNetConfig> PRESETS = new TreeMap<>(Map.of(
            // Fast tests: 16x16, two levels, attention at the 8x8 bottom, no dropout.
            "tiny",
                    UNetConfig.builder()
                            .imageChannels(1)
                            .imageSize(16)
                            .baseChannels(16)
                            .channelMultipliers(List.of(1, 2))
                            .attentionResolutions(List.of(8))
                            .resBlocksPerLevel(1)
                            .groups(4)
                            .dropout(0.0)
                            .build(),
            // tiny in colour, for the suite's colour training.
            "tiny-colour",
                    UNetConfig.builder()
                            .imageChannels(3)
                            .imageSize(16)
                            .baseChannels(16)
                            .channelMultipliers(List.of(1, 2))
                            .attentionResolutions(List.of(8))
                            .resBlocksPerLevel(1)
                            .groups(4)
                            .dropout(0.0)
                            .build(),
            // MNIST: 28x28 padded to 32x32, one channel.
            "mnist",
                    UNetConfig.builder()
                            .imageChannels(1)
                            .imageSize(32)
                            .baseChannels(32)
                            .channelMultipliers(List.of(1, 2, 2))
                            .attentionResolutions(List.of(16))
                            .resBlocksPerLevel(2)
                            .groups(8)
                            .dropout(0.1)
                            .build(),
            // The MNIST recipe on a CPU budget, on MNIST's own 28x28 (levels 28, 14, 7): 16 and 32 channels
            // at the two top levels, where convolutions cost the most, 64 at 7x7 with attention there, one
            // residual block per level, no dropout (docs/benchmarks.md, docs/evaluation.md); evaluate
            // centres its samples on the classifier's 32x32.
            "mnist-28",
                    UNetConfig.builder()
                            .imageChannels(1)
                            .imageSize(28)
                            .baseChannels(16)
                            .channelMultipliers(List.of(1, 2, 4))
                            .attentionResolutions(List.of(7))
                            .resBlocksPerLevel(1)
                            .groups(8)
                            .dropout(0.0)
                            .build(),
            // mnist-28 with 96 channels instead of 64 at the 7x7 level, where a channel costs the least
            // (49 positions): 1.9x the parameters for about 1.25x the step time (docs/benchmarks.md); in 88
            // CPU minutes it reaches the share mnist-28 does (docs/evaluation.md), so it is for longer budgets.
            "mnist-28w",
                    UNetConfig.builder()
                            .imageChannels(1)
                            .imageSize(28)
                            .baseChannels(16)
                            .channelMultipliers(List.of(1, 2, 6))
                            .attentionResolutions(List.of(7))
                            .resBlocksPerLevel(1)
                            .groups(8)
                            .dropout(0.0)
                            .build(),
            // The article's shape on a 2-core CPU budget: 3x32x32, multipliers 1,2,4,4, attention at 16
            // and 8, with a quarter of its channels and one residual block per level (docs/evaluation.md, "Colour").
            "colour-32",
                    UNetConfig.builder()
                            .imageChannels(3)
                            .imageSize(32)
                            .baseChannels(16)
                            .channelMultipliers(List.of(1, 2, 4, 4))
                            .attentionResolutions(List.of(16, 8))
                            .resBlocksPerLevel(1)
                            .groups(8)
                            .dropout(0.0)
                            .build(),
            // The reference article: 3x32x32, base 64, multipliers 1,2,4,4, attention at 16 and 8.
            "article",
                    UNetConfig.builder()
                            .imageChannels(3)
                            .imageSize(32)
                            .baseChannels(64)
                            .channelMultipliers(List.of(1, 2, 4, 4))
                            .attentionResolutions(List.of(16, 8))
                            .resBlocksPerLevel(2)
                            .groups(32)
                            .dropout(0.1)
                            .build()));

    private UNetPresets() {}

    public static UNetConfig byName(String name) {
        UNetConfig config = PRESETS.get(name);
        if (config == null) {
            throw new IllegalArgumentException("unknown preset '" + name + "'; known presets: " + PRESETS.keySet());
        }
        return config;
    }

    /** The preset with another image geometry (the data set decides channels and size). */
    public static UNetConfig withImage(UNetConfig preset, int channels, int size) {
        return preset.toBuilder().imageChannels(channels).imageSize(size).build();
    }

    public static Set<String> names() {
        return PRESETS.keySet();
    }
}
