package dev.ddpm.trainer.train;

import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.model.BetaSchedule;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.trainer.model.UNetPresets;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrainingSettingsTest {

    private static final UNetConfig TINY = UNetPresets.byName("tiny");

    @Test
    void whatTheBuilderLeavesUnsetIsHoEtAlsSetting() {
        TrainingSettings s = TrainingSettings.builder().architecture(TINY).build();
        assertThat(s.architecture()).isEqualTo(TINY);
        assertThat(s.diffusion()).isEqualTo(DiffusionConfig.ho2020());
        assertThat(s.batchSize()).isEqualTo(128);
        assertThat(s.learningRate()).isEqualTo(2e-4f);
        assertThat(s.warmupSteps()).isEqualTo(5000);
        assertThat(s.decaySteps()).as("constant after the warm-up").isZero();
        assertThat(s.emaDecay()).isEqualTo(0.9999f);
        assertThat(s.weightDecay()).isEqualTo(TrainingSettings.WEIGHT_DECAY).isZero();
        assertThat(s.gradientClip()).isEqualTo(TrainingSettings.GRADIENT_CLIP).isEqualTo(1f);
        assertThat(s.horizontalFlip()).isFalse();
        assertThat(s.seed()).isZero();
        assertThat(s.snrGamma()).as("Algorithm 1's unweighted loss").isZero();
    }

    @Test
    void eachSetterSetsItsOwnFieldAndToBuilderKeepsTheRest() {
        DiffusionConfig cosine =
                DiffusionConfig.builder().schedule(BetaSchedule.COSINE).build();
        TrainingSettings s = TrainingSettings.builder()
                .architecture(TINY)
                .diffusion(cosine)
                .batchSize(16)
                .learningRate(1e-3f)
                .warmupSteps(10)
                .decaySteps(500)
                .emaDecay(0.99f)
                .weightDecay(0.01f)
                .gradientClip(2f)
                .horizontalFlip(true)
                .seed(42)
                .snrGamma(5f)
                .build();
        assertThat(s).isEqualTo(new TrainingSettings(TINY, cosine, 16, 1e-3f, 10, 500, 0.99f, 0.01f, 2f, true, 42, 5f));
        assertThat(s.toBuilder().build()).isEqualTo(s);
        assertThat(s.toBuilder().seed(7).build())
                .isEqualTo(new TrainingSettings(TINY, cosine, 16, 1e-3f, 10, 500, 0.99f, 0.01f, 2f, true, 7, 5f));
    }

    @Test
    void theBuilderIsValidatedByTheRecord() {
        assertThatThrownBy(() -> TrainingSettings.builder().build())
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("'architecture' is missing");
        assertThatThrownBy(() -> TrainingSettings.builder()
                        .architecture(TINY)
                        .diffusion(null)
                        .build())
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("'diffusion' is missing");
        assertThatThrownBy(() -> TrainingSettings.builder()
                        .architecture(TINY)
                        .snrGamma(-1)
                        .build())
                .hasMessageContaining("gamma must be 0 (off) or positive, was -1");
    }
}
