package dev.ddpm.core.diffusion;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AnimationFramesTest {

    @Test
    void framesRunFromTheNoiseToTheFinalImageDenserAtTheEnd() {
        int[] shown = AnimationFrames.stepsShown(1000, 48);
        assertThat(shown).hasSize(48).startsWith(0).endsWith(1000).isSorted().doesNotHaveDuplicates();
        // The last tenth of the steps, where the image forms, gets far more than a tenth of the frames.
        long late = Arrays.stream(shown).filter(s -> s > 900).count();
        long early = Arrays.stream(shown).filter(s -> s > 0 && s <= 100).count();
        assertThat(late).isGreaterThan(10);
        assertThat(early).isLessThanOrEqualTo(3);
        // Gaps shrink toward the end.
        assertThat(shown[1] - shown[0]).isGreaterThan(shown[47] - shown[46]);
    }

    @Test
    void aShortProcessShowsEveryStepOnce() {
        assertThat(AnimationFrames.stepsShown(10, 48)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        assertThat(AnimationFrames.stepsShown(1, 48)).containsExactly(0, 1);
        assertThat(AnimationFrames.stepsShown(20, 2)).containsExactly(0, 20);
        assertThatThrownBy(() -> AnimationFrames.stepsShown(0, 48)).isInstanceOf(IllegalArgumentException.class);
    }
}
