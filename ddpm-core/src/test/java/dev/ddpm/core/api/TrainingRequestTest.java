package dev.ddpm.core.api;

import dev.ddpm.core.events.SamplePayloads;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.model.BetaSchedule;
import dev.ddpm.core.model.LearningRateDecay;
import dev.ddpm.core.model.PredictionType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The training request every interface maps to: its defaults, bounds and cross-field rules. */
class TrainingRequestTest {

    private static TrainingRequest read(String json) {
        return Json.read(json.getBytes(StandardCharsets.UTF_8), TrainingRequest.class);
    }

    @Test
    void absentFieldsTakeTheDocumentedDefaults() {
        TrainingRequest request = read("{\"dataset\":\"digits\",\"steps\":100}");

        assertThat(request.modelName()).as("the data set's name").isEqualTo("digits");
        assertThat(request.preset()).isEqualTo("tiny");
        assertThat(request.architecture()).isNull();
        assertThat(request.diffusion().timesteps()).isEqualTo(1000);
        assertThat(request.diffusion().schedule()).isEqualTo(BetaSchedule.LINEAR);
        assertThat(request.diffusion().predictionType()).isEqualTo(PredictionType.EPSILON);
        assertThat(request.diffusion().betaStart()).isEqualTo(1e-4);
        assertThat(request.diffusion().betaEnd()).isEqualTo(0.02);
        assertThat(request.batchSize()).isEqualTo(64);
        assertThat(request.learningRate()).isEqualTo(2e-4);
        assertThat(request.warmupSteps()).isZero();
        assertThat(request.emaDecay()).isEqualTo(0.9999);
        assertThat(request.seed()).isZero();
        assertThat(request.checkpointEvery()).isEqualTo(1000);
        assertThat(request.learningRateDecay()).isEqualTo(LearningRateDecay.NONE);
        assertThat(request.cosineDecay()).isFalse();
        assertThat(request.snrGamma()).isZero();
        assertThat(request.maxMinutes()).isZero();
        assertThat(request.keepCheckpoints()).isEqualTo(5);
        assertThat(request.horizontalFlip()).isNull();
        assertThat(request.flips(1)).as("digits are not mirrored").isFalse();
        assertThat(request.flips(3)).as("colour images are").isTrue();
        assertThat(request.qualityEvery()).isZero();
        assertThat(request.resumeFrom()).isNull();
    }

    @Test
    void theBuilderAndTheJsonBodyMakeTheSameRequest() {
        TrainingRequest built = SamplePayloads.trainingRequest();

        TrainingRequest read = read(Json.writeString(built));

        assertThat(read).isEqualTo(built);
        assertThat(built.toBuilder().build()).isEqualTo(built);
        assertThat(built.toBuilder().steps(30_000).build().steps()).isEqualTo(30_000);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "steps            | \"steps\":0                          | >= 1",
                "steps            | \"steps\":20000000                   | at most 10000000",
                "batchSize        | \"steps\":10,\"batchSize\":5000      | at most 4096",
                "learningRate     | \"steps\":10,\"learningRate\":2      | must be in",
                "emaDecay         | \"steps\":10,\"emaDecay\":1.5        | must be in",
                "seed             | \"steps\":10,\"seed\":-1             | >= 0",
                "timesteps        | \"steps\":10,\"timesteps\":20000     | at most 10000",
                "checkpointEvery  | \"steps\":10,\"checkpointEvery\":0   | >= 1",
                "keepCheckpoints  | \"steps\":10,\"keepCheckpoints\":1001 | at most 1000",
                "qualityEvery     | \"steps\":10,\"qualityEvery\":-1     | >= 0",
                "snrGamma         | \"steps\":10,\"snrGamma\":-5         | must be in",
                "maxMinutes       | \"steps\":10,\"maxMinutes\":-1       | must be in",
                "modelName        | \"steps\":10,\"modelName\":\"../x\"  | must match",
                "resumeFrom       | \"steps\":10,\"resumeFrom\":\"A\"    | must match",
                "resumeFromStep   | \"steps\":10,\"resumeFromStep\":5     | needs 'resumeFrom'",
                "resumeFromStep   | \"steps\":10,\"resumeFrom\":\"a\",\"resumeFromStep\":10 | must be fewer than 'steps'",
                "resumeFromStep   | \"steps\":10,\"resumeFrom\":\"a\",\"resumeFromStep\":-1 | >= 0",
                "schedule         | \"steps\":10,\"schedule\":\"sigmoid\" | must be linear or cosine, was 'sigmoid'",
                "predictionType   | \"steps\":10,\"predictionType\":\"x0\" | must be epsilon or v, was 'x0'",
                "learningRateDecay | \"steps\":10,\"learningRateDecay\":\"linear\" | must be none or cosine, was 'linear'",
                "warmupSteps      | \"steps\":10,\"warmupSteps\":10      | must be fewer than 'steps' (10)",
            })
    void eachBoundIsRefusedNamingItsField(String field, String json, String message) {
        assertThatThrownBy(() -> read("{\"dataset\":\"digits\"," + json + "}"))
                .isInstanceOfSatisfying(InvalidPayloadException.class, e -> {
                    assertThat(e.field()).isEqualTo(field);
                    assertThat(e.getMessage()).contains(message);
                });
    }

    @Test
    void theDataSetAndTheStepsAreRequired() {
        assertThatThrownBy(() -> read("{\"steps\":10}"))
                .isInstanceOfSatisfying(
                        InvalidPayloadException.class,
                        e -> assertThat(e.field()).isEqualTo("dataset"));
        assertThatThrownBy(() -> read("{\"dataset\":\"digits\"}"))
                .isInstanceOfSatisfying(
                        InvalidPayloadException.class,
                        e -> assertThat(e.field()).isEqualTo("steps"));
    }

    @Test
    void aWarmUpShorterThanTheRunIsAccepted() {
        assertThat(TrainingRequest.builder()
                        .dataset("d")
                        .steps(10)
                        .warmupSteps(9)
                        .build()
                        .warmupSteps())
                .isEqualTo(9);
    }

    @Test
    void runIdsAreSafeNamesThatSortByTimeAndDifferWithinASecond() {
        Clock clock = Clock.fixed(Instant.parse("2026-12-07T10:15:30Z"), ZoneOffset.UTC);
        String first = RunIds.next("digits", clock);
        String second = RunIds.next("digits", clock);

        assertThat(first).as("48 random bits").matches("digits-20261207-101530-[0-9a-f]{12}");
        assertThat(second).isNotEqualTo(first);
        String longModel = "m".repeat(63);
        assertThat(RunIds.next(longModel, clock))
                .hasSize(63)
                .startsWith("m".repeat(RunIds.MAX_PREFIX) + "-20261207")
                .matches(".*-[0-9a-f]{12}");
    }

    @Test
    void derivedRunIdsAreSafeNamesTheSameForTheSameSeedAndDifferentForAnother() {
        String id = RunIds.derived("digits", "trainer\nretry-1");

        assertThat(id).matches("digits-[0-9a-f]{20}").isEqualTo(RunIds.derived("digits", "trainer\nretry-1"));
        assertThat(RunIds.derived("digits", "trainer\nretry-2")).isNotEqualTo(id);
        assertThat(RunIds.derived("m".repeat(63), "seed")).hasSizeLessThanOrEqualTo(63);
    }
}
