package dev.ddpm.core.diffusion;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class SeededNoiseTest {

    @Test
    void sameKeyGivesTheSameNoiseWhateverElseWasDrawn() {
        float[] first = SeededNoise.forSample(42, 7).draw(500, 3072);
        SeededNoise.forSample(42, 6).draw(500, 3072); // a neighbour in the batch
        SeededNoise.forSample(42, 7).draw(499, 3072); // another step
        assertThat(SeededNoise.forSample(42, 7).draw(500, 3072)).containsExactly(first);
    }

    @Test
    void aShorterDrawIsAPrefixOfALongerOne() {
        float[] longer = SeededNoise.forSample(1, 2).draw(3, 11);
        float[] shorter = SeededNoise.forSample(1, 2).draw(3, 5);
        for (int i = 0; i < 5; i++) {
            assertThat(shorter[i]).isEqualTo(longer[i]);
        }
    }

    @Test
    void everyPartOfTheKeyMatters() {
        float[] base = SeededNoise.forSample(42, 7).draw(500, 64);
        assertThat(SeededNoise.forSample(43, 7).draw(500, 64)).isNotEqualTo(base);
        assertThat(SeededNoise.forSample(42, 8).draw(500, 64)).isNotEqualTo(base);
        assertThat(SeededNoise.forSample(42, 7).draw(501, 64)).isNotEqualTo(base);
        assertThat(SeededNoise.forSample(42, 7).draw(SeededNoise.INITIAL, 64)).isNotEqualTo(base);
    }

    @Test
    void drawsAreStandardNormalAndUncorrelatedAcrossKeys() {
        int n = 400_000;
        float[] a = SeededNoise.forSample(5, 0).draw(0, n);
        float[] b = SeededNoise.forSample(5, 1).draw(0, n);
        double sum = 0;
        double sumSq = 0;
        double cross = 0;
        int withinOneSigma = 0;
        for (int i = 0; i < n; i++) {
            sum += a[i];
            sumSq += a[i] * a[i];
            cross += a[i] * b[i];
            if (Math.abs(a[i]) < 1) {
                withinOneSigma++;
            }
        }
        assertThat(sum / n).isCloseTo(0, within(0.01));
        assertThat(sumSq / n).isCloseTo(1, within(0.01));
        assertThat(cross / n).isCloseTo(0, within(0.01));
        assertThat((double) withinOneSigma / n).isCloseTo(0.6827, within(0.005));
    }
}
