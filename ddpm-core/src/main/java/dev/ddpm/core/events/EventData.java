package dev.ddpm.core.events;

/**
 * The {@code data} of a CloudEvent on one of the platform's topics. Each payload names the key it
 * is partitioned by (run id, model name, dataset name, job id), which is also the event's subject,
 * so that all events of one run or model stay in order on one partition.
 */
public sealed interface EventData
        permits TrainingRequested,
                TrainingStarted,
                TrainingProgress,
                CheckpointSaved,
                TrainingCompleted,
                TrainingFailed,
                TrainingCancelRequested,
                TrainingCancelled,
                ModelEvaluated,
                ModelPublished,
                ModelRejected,
                ModelAliasChanged,
                ModelVersionDeleted,
                DatasetUpdated,
                SampleJobRequested,
                SampleJobCancelRequested,
                SampleJobCompleted,
                SampleJobFailed {

    /** Kafka record key and CloudEvent subject. */
    String partitionKey();
}
