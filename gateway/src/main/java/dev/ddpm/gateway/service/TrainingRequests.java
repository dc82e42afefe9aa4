package dev.ddpm.gateway.service;

import dev.ddpm.core.events.TrainingConfig;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.model.BetaSchedule;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.PredictionType;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.gateway.messaging.GatewayEvents;
import dev.ddpm.gateway.rest.TrainingBody;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.UUID;

/** Starts training runs for both APIs: checks the data set exists, then TrainingRequested. */
@Singleton
public class TrainingRequests {

    private final GatewayEvents events;
    private final ArtifactStore store;
    private final TrainingRuns runs;

    public TrainingRequests(GatewayEvents events, ArtifactStore store, TrainingRuns runs) {
        this.events = events;
        this.store = store;
        this.runs = runs;
    }

    /** @return the new run's id */
    public String start(TrainingBody body, String requestedBy) {
        String runId = body.modelName() + "-" + LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern(
                "yyyyMMdd-HHmmss")) + "-" + UUID.randomUUID().toString().substring(0, 4);
        DiffusionConfig diffusion = new DiffusionConfig(body.timesteps(),
                BetaSchedule.valueOf(body.schedule().toUpperCase(Locale.ROOT)), null, null, null, null,
                body.predictionType().equals("v") ? PredictionType.V : PredictionType.EPSILON);
        // Built first: a field the event refuses is a 400 whatever the data set's state.
        TrainingConfig config = new TrainingConfig(body.modelName(), body.preset(), null, diffusion, body.steps(),
                body.batchSize(), body.learningRate(), body.warmupSteps(), body.emaDecay(), body.seed(),
                body.checkpointEvery(), body.learningRateDecay(), body.snrGamma(), body.maxMinutes(),
                body.keepCheckpoints(), body.horizontalFlip(), body.qualityEvery());
        if (store.list(Buckets.DATASETS, body.dataset() + "/").isEmpty()) {
            throw new GatewayException(404, "unknown data set", "data set '" + body.dataset() + "' has no objects; upload "
                    + "it first (POST /v1/datasets/" + body.dataset() + ")", "dataset");
        }
        TrainingRequested requested = new TrainingRequested(runId, body.dataset(), config, body.resumeFrom(), requestedBy);
        events.trainingRequests().sendAndWait(requested, Duration.ofSeconds(30));
        runs.requested(runId, body.modelName());
        return runId;
    }
}
