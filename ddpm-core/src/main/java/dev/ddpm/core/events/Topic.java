package dev.ddpm.core.events;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * The platform's Kafka topics, with the settings they are created with (partitions, compaction); which
 * events travel on each is docs/architecture.md, "Events".
 * The models topic is compacted (key: model name); the alias documents in the models bucket say what
 * each model serves, and ModelAliasChanged announces every change to them.
 */
public enum Topic {
    TRAINING_REQUESTS("ddpm.training-requests", 3, false),
    TRAINING_EVENTS("ddpm.training-events", 3, false),
    MODELS("ddpm.models", 1, true),
    DATASETS("ddpm.datasets", 1, false),
    SAMPLE_JOBS("ddpm.sample-jobs", 6, false),
    SAMPLE_RESULTS("ddpm.sample-results", 3, false),
    // Dead-letter topics: a record a consumer could not decode or handle goes to <topic>.dlq with the
    // error in its headers (the connector's dead-letter-reason, -cause, -topic, -partition, -offset).
    TRAINING_REQUESTS_DLQ("ddpm.training-requests.dlq", 1, false),
    TRAINING_EVENTS_DLQ("ddpm.training-events.dlq", 1, false),
    MODELS_DLQ("ddpm.models.dlq", 1, false),
    DATASETS_DLQ("ddpm.datasets.dlq", 1, false),
    SAMPLE_JOBS_DLQ("ddpm.sample-jobs.dlq", 1, false),
    SAMPLE_RESULTS_DLQ("ddpm.sample-results.dlq", 1, false);

    /** Suffix of a topic's dead-letter topic. */
    public static final String DEAD_LETTER_SUFFIX = ".dlq";

    private final String topicName;
    private final int partitions;
    private final boolean compacted;

    Topic(String topicName, int partitions, boolean compacted) {
        this.topicName = topicName;
        this.partitions = partitions;
        this.compacted = compacted;
    }

    public String topicName() {
        return topicName;
    }

    public int partitions() {
        return partitions;
    }

    public boolean compacted() {
        return compacted;
    }

    /**
     * How long a record of a non-compacted topic is kept: a request older than this is gone from its
     * topic, so no consumer that has not read it yet ever will.
     */
    public static final Duration RETENTION = Duration.ofDays(7);

    /** Topic-level configuration used when the topic is created. */
    public Map<String, String> topicConfig() {
        return compacted
                ? Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "60000")
                : Map.of("cleanup.policy", "delete", "retention.ms", String.valueOf(RETENTION.toMillis()));
    }

    /** Where records of this topic that cannot be handled go; empty for a dead-letter topic itself. */
    public Optional<Topic> deadLetterTopic() {
        return byName(topicName + DEAD_LETTER_SUFFIX);
    }

    public static Optional<Topic> byName(String name) {
        return Arrays.stream(values()).filter(t -> t.topicName.equals(name)).findFirst();
    }
}
