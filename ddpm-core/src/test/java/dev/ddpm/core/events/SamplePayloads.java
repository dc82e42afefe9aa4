package dev.ddpm.core.events;

import dev.ddpm.core.api.OutputFormat;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.diffusion.TimestepSpacing;
import dev.ddpm.core.lifecycle.AliasChange;
import dev.ddpm.core.lifecycle.CanarySplit;
import dev.ddpm.core.lifecycle.QualityGate;
import dev.ddpm.core.model.BetaSchedule;
import dev.ddpm.core.model.LearningRateDecay;
import dev.ddpm.core.model.PredictionType;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.core.storage.ObjectRef;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** One realistic payload per event type, fields filled with non-default values. */
public final class SamplePayloads {

    public static final String SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    private SamplePayloads() {}

    public static TrainingRequest trainingRequest() {
        return TrainingRequest.builder()
                .dataset("emoji")
                .modelName("emoji-v")
                .preset("tiny")
                .architecture(new UNetConfig(3, 32, 32, List.of(1, 2, 2), List.of(16), 2, 8, 0.1))
                .timesteps(500)
                .schedule(BetaSchedule.COSINE)
                .predictionType(PredictionType.V)
                .steps(20_000)
                .batchSize(32)
                .learningRate(1e-3)
                .warmupSteps(500)
                .emaDecay(0.999)
                .seed(42L)
                .checkpointEvery(250)
                .learningRateDecay(LearningRateDecay.COSINE)
                .snrGamma(5.0)
                .maxMinutes(90.0)
                .keepCheckpoints(3)
                .horizontalFlip(false)
                .qualityEvery(100)
                .resumeFrom("run-0000")
                .resumeFromStep(1000L)
                .build();
    }

    public static EventData of(EventType type) {
        return switch (type) {
            case TRAINING_REQUESTED ->
                new TrainingRequested("run-0001", trainingRequest(), "key-ops", "dataset-update");
            case TRAINING_STARTED -> new TrainingStarted("run-0001", "emoji", "emoji", "cpu", 831_000, 0, 20_000);
            case TRAINING_PROGRESS -> new TrainingProgress("run-0001", 1200, 20_000, 0.0412, 51.5, 3650.0);
            case CHECKPOINT_SAVED -> new CheckpointSaved("run-0001", 2000, "run-0001/step-2000/checkpoint.json", SHA);
            case TRAINING_COMPLETED ->
                new TrainingCompleted(
                        "run-0001", "emoji", 20_000, 0.0301, "run-0001/step-20000/checkpoint.json", "20261128-0001");
            case TRAINING_FAILED -> new TrainingFailed("run-0001", 1999L, "dataset emoji is empty");
            case MODEL_PUBLISHED ->
                new ModelPublished("emoji", "20261128-0001", "emoji/20261128-0001/manifest.json", SHA);
            case MODEL_REJECTED -> new ModelRejected("emoji", "20261128-0002", "ONNX parity 3e-2 above 1e-4");
            case MODEL_ALIAS_CHANGED ->
                new ModelAliasChanged(
                        "emoji",
                        3,
                        Map.of("production", "20261128-0001", "candidate", "20261128-0002"),
                        new CanarySplit("20261128-0002", 10),
                        new AliasChange(
                                3,
                                Instant.parse("2026-11-28T10:00:00Z"),
                                "canary",
                                "20261128-0002",
                                null,
                                AliasChange.Action.CANARY,
                                "key-ops",
                                "10 % of production's requests to 20261128-0002"));
            case MODEL_VERSION_DELETED -> new ModelVersionDeleted("emoji", "20261128-0002", "key-ops");
            case MODEL_EVALUATED ->
                new ModelEvaluated(
                        "run-0001",
                        "emoji",
                        "20261128-0002",
                        QualityGate.compare(
                                "20261128-0001",
                                "dpm++sde 25 steps, 64 samples, seed 7",
                                Map.of("quality_fld", 1.2, "quality_recognisable", 0.9),
                                Map.of("quality_fld", 1.5, "quality_recognisable", 0.85),
                                0.1),
                        true,
                        "promoted");
            case TRAINING_CANCEL_REQUESTED -> new TrainingCancelRequested("run-0001", "key-ops");
            case TRAINING_CANCELLED -> new TrainingCancelled("run-0001", 1200, "key-ops");
            case DATASET_UPDATED -> new DatasetUpdated("emoji", "emoji/sheet.png", 1911L, "gateway-upload");
            case SAMPLE_JOB_REQUESTED ->
                new SampleJobRequested(
                        "job-77",
                        new SamplingRequest(
                                "emoji",
                                "20261128-0001",
                                16,
                                SamplerKind.DPM_SOLVER_PP,
                                15,
                                0.0,
                                1234L,
                                OutputFormat.GRID,
                                false,
                                "fixed_large",
                                5,
                                600.0,
                                3,
                                TimestepSpacing.KARRAS,
                                0.995));
            case SAMPLE_JOB_CANCEL_REQUESTED -> new SampleJobCancelRequested("job-77");
            case SAMPLE_JOB_COMPLETED ->
                new SampleJobCompleted(
                        "job-77",
                        "emoji",
                        "20261128-0001",
                        List.of(new ObjectRef("ddpm-samples", "job-77/grid.png", 20_480, SHA)),
                        "alice");
            case SAMPLE_JOB_FAILED -> new SampleJobFailed("job-77", "model emoji has no version 9", false, "alice");
        };
    }
}
