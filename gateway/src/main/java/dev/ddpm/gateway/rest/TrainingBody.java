package dev.ddpm.gateway.rest;

import dev.ddpm.core.events.TrainingConfig;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;
import dev.ddpm.core.model.DiffusionConfig;

/**
 * Body of {@code POST /v1/trainings}: which data set, which architecture preset, how long; the rest
 * has defaults (the trainer's).
 */
public record TrainingBody(String dataset, @OptionalField String modelName, @OptionalField String preset,
                           long steps, @OptionalField Integer batchSize, @OptionalField Double learningRate,
                           @OptionalField Integer warmupSteps, @OptionalField Double emaDecay, @OptionalField Long seed,
                           @OptionalField Integer timesteps, @OptionalField String schedule,
                           @OptionalField String predictionType, @OptionalField Integer checkpointEvery,
                           @OptionalField String resumeFrom, @OptionalField String learningRateDecay,
                           @OptionalField Double snrGamma, @OptionalField Double maxMinutes,
                           @OptionalField Integer keepCheckpoints, @OptionalField Boolean horizontalFlip,
                           @OptionalField Integer qualityEvery) {

    public TrainingBody {
        Require.safeName(dataset, "dataset");
        modelName = modelName == null ? dataset : Require.safeName(modelName, "modelName");
        preset = preset == null ? TrainingConfig.DEFAULT_PRESET : Require.safeName(preset, "preset");
        Require.between(steps, 1, TrainingConfig.MAX_STEPS, "steps");
        batchSize = batchSize == null ? TrainingConfig.DEFAULT_BATCH_SIZE : Require.between(batchSize, 1, TrainingConfig.MAX_BATCH_SIZE, "batchSize");
        learningRate = learningRate == null ? TrainingConfig.DEFAULT_LEARNING_RATE : Require.inRange(learningRate, 1e-12, 1, "learningRate");
        seed = seed == null ? 0L : Require.atLeast(seed, 0, "seed");
        timesteps = timesteps == null ? 1000 : Require.between(timesteps, 1, DiffusionConfig.MAX_TIMESTEPS, "timesteps");
        schedule = schedule == null ? "linear" : schedule;
        if (!schedule.equals("linear") && !schedule.equals("cosine")) {
            throw new InvalidPayloadException("field 'schedule' must be linear or cosine, was '" + schedule + "'", "schedule");
        }
        predictionType = predictionType == null ? "epsilon" : predictionType;
        if (!predictionType.equals("epsilon") && !predictionType.equals("v")) {
            throw new InvalidPayloadException("field 'predictionType' must be epsilon or v, was '" + predictionType + "'",
                    "predictionType");
        }
        if (resumeFrom != null) {
            Require.safeName(resumeFrom, "resumeFrom");
        }
    }
}
