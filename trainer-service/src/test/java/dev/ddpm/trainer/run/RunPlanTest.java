package dev.ddpm.trainer.run;

import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.trainer.model.UNetPresets;
import dev.ddpm.trainer.train.TrainingSettings;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RunPlanTest {

    private static final TrainingSettings SETTINGS =
            TrainingSettings.builder().architecture(UNetPresets.byName("tiny")).build();

    private static RunPlan.Builder required() {
        return RunPlan.builder()
                .runId("run-1")
                .modelName("digits")
                .settings(SETTINGS)
                .totalSteps(100);
    }

    @Test
    void whatTheBuilderLeavesUnsetIsTheServicesDefaults() {
        RunPlan plan = required().build();
        assertThat(plan.runId()).isEqualTo("run-1");
        assertThat(plan.modelName()).isEqualTo("digits");
        assertThat(plan.settings()).isEqualTo(SETTINGS);
        assertThat(plan.totalSteps()).isEqualTo(100);
        assertThat(plan.dataset()).isNull();
        assertThat(plan.checkpointEvery())
                .isEqualTo(RunPlan.DEFAULT_CHECKPOINT_EVERY)
                .isEqualTo(1000);
        assertThat(plan.progressEvery())
                .isEqualTo(RunPlan.DEFAULT_PROGRESS_EVERY)
                .isEqualTo(50);
        assertThat(plan.gridEvery()).isEqualTo(RunPlan.DEFAULT_GRID_EVERY).isEqualTo(1000);
        assertThat(plan.resumeFrom()).as("the run's own checkpoint").isNull();
        assertThat(plan.exportEvery()).as("publish only at the end").isZero();
        assertThat(plan.keepCheckpoints())
                .isEqualTo(RunPlan.DEFAULT_KEPT_CHECKPOINTS)
                .isEqualTo(5);
        assertThat(plan.qualityEvery()).as("no quality measurements").isZero();
        assertThat(plan.qualitySamples())
                .isEqualTo(RunPlan.DEFAULT_QUALITY_SAMPLES)
                .isEqualTo(64);
    }

    @Test
    void eachSetterSetsItsOwnField() {
        RunPlan plan = required()
                .dataset("mnist")
                .checkpointEvery(2)
                .progressEvery(3)
                .gridEvery(4)
                .resumeFrom("run-0")
                .exportEvery(5)
                .keepCheckpoints(6)
                .qualityEvery(7)
                .qualitySamples(8)
                .resumeFromStep(9L)
                .owner("key-ops")
                .build();
        assertThat(plan)
                .isEqualTo(new RunPlan(
                        "run-1", "digits", "mnist", SETTINGS, 100, 2, 3, 4, "run-0", 5, 6, 7, 8, null, 9L, "key-ops"));
    }

    @Test
    void theBuilderIsValidatedByTheRecord() {
        assertThatThrownBy(() -> required().totalSteps(0).build())
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("'totalSteps' must be >= 1");
        assertThatThrownBy(() -> RunPlan.builder()
                        .runId("run-1")
                        .modelName("digits")
                        .totalSteps(1)
                        .build())
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("'settings' is missing");
        assertThatThrownBy(() -> required().runId("../x").build())
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("'runId'");
        assertThatThrownBy(() -> required().qualitySamples(1).build())
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("'qualitySamples' must be >= 2");
    }
}
