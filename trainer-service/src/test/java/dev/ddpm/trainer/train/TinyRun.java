package dev.ddpm.trainer.train;

import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.trainer.data.SyntheticPatterns;
import dev.ddpm.trainer.model.UNetPresets;

/** The settings the trainer's tests share: the tiny preset on 8x8 synthetic patterns. */
public final class TinyRun {

    /** Four patterns with weights 0.4, 0.3, 0.2, 0.1. */
    public static final SyntheticPatterns DATA = new SyntheticPatterns(8, 4, 3, 2, 1);

    private TinyRun() {
    }

    public static TrainingSettings settings() {
        return new TrainingSettings(UNetPresets.withImage(UNetPresets.byName("tiny"), 1, 8), DiffusionConfig.ho2020(),
                32, 2e-3f, 50, 0, 0.99f, 0f, 1f, false, 7);
    }
}
