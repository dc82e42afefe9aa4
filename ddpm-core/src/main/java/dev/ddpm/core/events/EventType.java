package dev.ddpm.core.events;

import dev.ddpm.core.json.InvalidPayloadException;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every event type of the platform: its CloudEvents {@code type} attribute, the topic it travels on
 * and the record its {@code data} binds to. One table, so producers and consumers cannot disagree.
 */
public enum EventType {
    TRAINING_REQUESTED("dev.ddpm.training.requested.v2", Topic.TRAINING_REQUESTS, TrainingRequested.class),
    TRAINING_STARTED("dev.ddpm.training.started.v1", Topic.TRAINING_EVENTS, TrainingStarted.class),
    TRAINING_PROGRESS("dev.ddpm.training.progress.v1", Topic.TRAINING_EVENTS, TrainingProgress.class),
    CHECKPOINT_SAVED("dev.ddpm.training.checkpoint-saved.v1", Topic.TRAINING_EVENTS, CheckpointSaved.class),
    TRAINING_COMPLETED("dev.ddpm.training.completed.v1", Topic.TRAINING_EVENTS, TrainingCompleted.class),
    TRAINING_FAILED("dev.ddpm.training.failed.v1", Topic.TRAINING_EVENTS, TrainingFailed.class),
    TRAINING_CANCEL_REQUESTED(
            "dev.ddpm.training.cancel-requested.v1", Topic.TRAINING_REQUESTS, TrainingCancelRequested.class),
    TRAINING_CANCELLED("dev.ddpm.training.cancelled.v1", Topic.TRAINING_EVENTS, TrainingCancelled.class),
    MODEL_EVALUATED("dev.ddpm.model.evaluated.v1", Topic.TRAINING_EVENTS, ModelEvaluated.class),
    MODEL_PUBLISHED("dev.ddpm.model.published.v1", Topic.MODELS, ModelPublished.class),
    MODEL_REJECTED("dev.ddpm.model.rejected.v1", Topic.MODELS, ModelRejected.class),
    MODEL_ALIAS_CHANGED("dev.ddpm.model.alias-changed.v1", Topic.MODELS, ModelAliasChanged.class),
    MODEL_VERSION_DELETED("dev.ddpm.model.version-deleted.v1", Topic.MODELS, ModelVersionDeleted.class),
    DATASET_UPDATED("dev.ddpm.dataset.updated.v1", Topic.DATASETS, DatasetUpdated.class),
    SAMPLE_JOB_REQUESTED("dev.ddpm.sample-job.requested.v2", Topic.SAMPLE_JOBS, SampleJobRequested.class),
    SAMPLE_JOB_CANCEL_REQUESTED(
            "dev.ddpm.sample-job.cancel-requested.v1", Topic.SAMPLE_JOBS, SampleJobCancelRequested.class),
    SAMPLE_JOB_COMPLETED("dev.ddpm.sample-job.completed.v1", Topic.SAMPLE_RESULTS, SampleJobCompleted.class),
    SAMPLE_JOB_FAILED("dev.ddpm.sample-job.failed.v1", Topic.SAMPLE_RESULTS, SampleJobFailed.class);

    private static final Map<String, EventType> BY_TYPE =
            Arrays.stream(values()).collect(Collectors.toMap(EventType::type, Function.identity()));
    private static final Map<Class<?>, EventType> BY_CLASS =
            Arrays.stream(values()).collect(Collectors.toMap(EventType::dataClass, Function.identity()));

    private final String type;
    private final Topic topic;
    private final Class<? extends EventData> dataClass;

    EventType(String type, Topic topic, Class<? extends EventData> dataClass) {
        this.type = type;
        this.topic = topic;
        this.dataClass = dataClass;
    }

    public String type() {
        return type;
    }

    public Topic topic() {
        return topic;
    }

    public Class<? extends EventData> dataClass() {
        return dataClass;
    }

    public static EventType of(EventData data) {
        return BY_CLASS.get(data.getClass());
    }

    /** @throws dev.ddpm.core.json.InvalidPayloadException for a type no one here knows */
    public static EventType ofType(String type) {
        EventType known = BY_TYPE.get(type);
        if (known == null) {
            throw new InvalidPayloadException(
                    "unknown event type '" + type + "'; known types: "
                            + Arrays.stream(values())
                                    .map(EventType::type)
                                    .sorted()
                                    .collect(Collectors.joining(", ")),
                    "type");
        }
        return known;
    }
}
