package dev.ddpm.core.model;

import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Require;

import java.util.List;

/**
 * Architecture of the noise-prediction UNet (Ho et al. 2020, as in the reference article).
 *
 * @param imageChannels        channels of the images (1 for MNIST, 3 for RGB)
 * @param imageSize            height = width of the (padded) model input
 * @param baseChannels         channels of the first level
 * @param channelMultipliers   per-level multiplier of baseChannels; one level per entry
 * @param attentionResolutions feature-map sizes that get self-attention
 * @param resBlocksPerLevel    residual blocks per level on the way down (one more on the way up)
 * @param groups               GroupNorm groups
 * @param dropout              dropout inside residual blocks
 */
public record UNetConfig(
        int imageChannels,
        int imageSize,
        int baseChannels,
        List<Integer> channelMultipliers,
        List<Integer> attentionResolutions,
        int resBlocksPerLevel,
        int groups,
        double dropout) {

    public UNetConfig {
        Require.atLeast(imageChannels, 1, "imageChannels");
        Require.atLeast(imageSize, 1, "imageSize");
        Require.atLeast(baseChannels, 1, "baseChannels");
        Require.nonNull(channelMultipliers, "channelMultipliers");
        if (channelMultipliers.isEmpty() || channelMultipliers.stream().anyMatch(m -> m == null || m < 1)) {
            throw new InvalidPayloadException(
                    "field 'channelMultipliers' must be a non-empty list of integers >= 1", "channelMultipliers");
        }
        Require.nonNull(attentionResolutions, "attentionResolutions");
        Require.atLeast(resBlocksPerLevel, 1, "resBlocksPerLevel");
        Require.atLeast(groups, 1, "groups");
        if (baseChannels % groups != 0) {
            throw new InvalidPayloadException(
                    "field 'groups' (" + groups + ") must divide 'baseChannels' (" + baseChannels + ")", "groups");
        }
        Require.inRange(dropout, 0, 1, "dropout");
        channelMultipliers = List.copyOf(channelMultipliers);
        attentionResolutions = List.copyOf(attentionResolutions);
    }

    /**
     * An architecture by name, e.g. {@code builder().imageChannels(1).imageSize(28).baseChannels(16)
     * .groups(8).build()}; what is not set is the reference article's architecture: 3x32x32 images,
     * base 64, multipliers 1,2,4,4, attention at 16 and 8, two residual blocks per level, 32 groups,
     * dropout 0.1. The record's constructor validates.
     */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this architecture, to change some of it by name. */
    public Builder toBuilder() {
        return builder()
                .imageChannels(imageChannels)
                .imageSize(imageSize)
                .baseChannels(baseChannels)
                .channelMultipliers(channelMultipliers)
                .attentionResolutions(attentionResolutions)
                .resBlocksPerLevel(resBlocksPerLevel)
                .groups(groups)
                .dropout(dropout);
    }

    /** Named fields of a {@link UNetConfig}; see {@link #builder()}. */
    public static final class Builder {

        private int imageChannels = 3;
        private int imageSize = 32;
        private int baseChannels = 64;
        private List<Integer> channelMultipliers = List.of(1, 2, 4, 4);
        private List<Integer> attentionResolutions = List.of(16, 8);
        private int resBlocksPerLevel = 2;
        private int groups = 32;
        private double dropout = 0.1;

        private Builder() {}

        public Builder imageChannels(int imageChannels) {
            this.imageChannels = imageChannels;
            return this;
        }

        public Builder imageSize(int imageSize) {
            this.imageSize = imageSize;
            return this;
        }

        public Builder baseChannels(int baseChannels) {
            this.baseChannels = baseChannels;
            return this;
        }

        public Builder channelMultipliers(List<Integer> channelMultipliers) {
            this.channelMultipliers = channelMultipliers;
            return this;
        }

        /** The feature-map sizes that get self-attention; none when empty. */
        public Builder attentionResolutions(List<Integer> attentionResolutions) {
            this.attentionResolutions = attentionResolutions;
            return this;
        }

        public Builder resBlocksPerLevel(int resBlocksPerLevel) {
            this.resBlocksPerLevel = resBlocksPerLevel;
            return this;
        }

        public Builder groups(int groups) {
            this.groups = groups;
            return this;
        }

        public Builder dropout(double dropout) {
            this.dropout = dropout;
            return this;
        }

        public UNetConfig build() {
            return new UNetConfig(
                    imageChannels,
                    imageSize,
                    baseChannels,
                    channelMultipliers,
                    attentionResolutions,
                    resBlocksPerLevel,
                    groups,
                    dropout);
        }
    }
}
