package dev.ddpm.gateway.mapping;

import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.ddpm.core.api.ProtoMapping;
import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.model.BetaSchedule;
import dev.ddpm.core.model.LearningRateDecay;
import dev.ddpm.core.model.PredictionType;
import dev.ddpm.proto.gateway.v1.Flip;
import dev.ddpm.proto.gateway.v1.StartTrainingRequest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The gRPC StartTrainingRequest and the JSON body of POST /v1/trainings are one TrainingRequest. */
class TrainingProtoMappingTest {

    /** Every field away from its default, so a field the mapping drops shows as a difference. */
    private static final TrainingRequest EVERY_FIELD = TrainingRequest.builder()
            .dataset("emoji")
            .modelName("emoji-v2")
            .preset("colour-32")
            .timesteps(500)
            .schedule(BetaSchedule.COSINE)
            .predictionType(PredictionType.V)
            .steps(20_000)
            .batchSize(32)
            .learningRate(1e-3)
            .warmupSteps(200)
            .emaDecay(0.999)
            .seed(42L)
            .checkpointEvery(250)
            .learningRateDecay(LearningRateDecay.COSINE)
            .snrGamma(5.0)
            .maxMinutes(90.0)
            .keepCheckpoints(3)
            .horizontalFlip(false)
            .qualityEvery(100)
            .resumeFrom("emoji-20261207-101530-0a1b")
            .resumeFromStep(1500L)
            .build();

    @Test
    void everyFieldOfARequestCrossesTheProtoBoundaryAndBack() {
        StartTrainingRequest message = ProtoMapping.startTrainingRequest(EVERY_FIELD, StartTrainingRequest.newBuilder())
                .build();

        assertThat(ProtoMapping.trainingRequest(message)).isEqualTo(EVERY_FIELD);
        assertThat(message.getSchedule()).isEqualTo("cosine");
        assertThat(message.getPredictionType()).isEqualTo("v");
        assertThat(message.getLearningRateDecay()).isEqualTo("cosine");
        assertThat(message.getHorizontalFlip()).isEqualTo(Flip.FLIP_OFF);
        // A field added to the proto but not to the mapping stays at its default and fails here.
        for (FieldDescriptor field : StartTrainingRequest.getDescriptor().getFields()) {
            assertThat(message.hasField(field) || !field.getDefaultValue().equals(message.getField(field)))
                    .as("field %s is mapped", field.getName())
                    .isTrue();
        }
    }

    @Test
    void unsetProtoFieldsTakeTheDefaultsOfABodyThatLeavesThemOut() {
        StartTrainingRequest message = StartTrainingRequest.newBuilder()
                .setDataset("emoji")
                .setSteps(100)
                .build();
        TrainingRequest body = Json.read(
                "{\"dataset\":\"emoji\",\"steps\":100}".getBytes(StandardCharsets.UTF_8), TrainingRequest.class);

        assertThat(ProtoMapping.trainingRequest(message)).isEqualTo(body);
        assertThat(body.emaDecay()).isEqualTo(TrainingRequest.DEFAULT_EMA_DECAY);
    }

    @Test
    void optionalFieldsCarryTheirZero() {
        StartTrainingRequest message = StartTrainingRequest.newBuilder()
                .setDataset("emoji")
                .setSteps(100)
                .setEmaDecay(0)
                .setWarmupSteps(0)
                .build();

        assertThat(ProtoMapping.trainingRequest(message).emaDecay())
                .as("0: no averaging, asked for")
                .isZero();
    }

    @Test
    void anUnknownWireNameIsRefusedNamingTheJsonField() {
        StartTrainingRequest message = StartTrainingRequest.newBuilder()
                .setDataset("emoji")
                .setSteps(100)
                .setLearningRateDecay("linear")
                .build();

        assertThatThrownBy(() -> ProtoMapping.trainingRequest(message))
                .isInstanceOfSatisfying(InvalidPayloadException.class, e -> {
                    assertThat(e.field()).isEqualTo("learningRateDecay");
                    assertThat(e.getMessage()).contains("must be none or cosine, was 'linear'");
                });
        assertThatThrownBy(() -> ProtoMapping.trainingRequest(StartTrainingRequest.newBuilder()
                        .setDataset("emoji")
                        .setSteps(10)
                        .setWarmupSteps(10)
                        .build()))
                .isInstanceOfSatisfying(
                        InvalidPayloadException.class,
                        e -> assertThat(e.field()).isEqualTo("warmupSteps"));
    }
}
