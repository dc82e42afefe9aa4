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
            throw new InvalidPayloadException("field 'groups' (" + groups
                    + ") must divide 'baseChannels' (" + baseChannels + ")", "groups");
        }
        Require.inRange(dropout, 0, 1, "dropout");
        channelMultipliers = List.copyOf(channelMultipliers);
        attentionResolutions = List.copyOf(attentionResolutions);
    }
}
