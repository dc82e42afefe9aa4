package dev.ddpm.trainer.service;

import dev.ddpm.core.events.Topic;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectNotFoundException;
import dev.ddpm.trainer.run.RunOutcomes;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The bound on the retraining data set changes start, per model: a model has at most one retraining
 * run that has not ended (its outcome record is not stored), and its retrainings are requested at
 * least {@code trainer.retrain.min-interval} apart. Without it, a key that uploads to its data set
 * just past every debounce queues run after run.
 *
 * <p>The model's last retraining is recorded in {@code ddpm-checkpoints/_models/{model}.json} and
 * replaced by a compare-and-swap, not held in memory, because one data set's changes reach several
 * trainers: the replicas share the data set consumer group, which spreads the partitions of
 * {@code ddpm.datasets} over them; the gateway's events are keyed by data set but MinIO's notification
 * records by object, so one upload burst lands on several partitions; and a rebalance moves a
 * partition mid-burst. Of two trainers retraining one model at the same moment, one replaces the
 * record and requests its run, the other skips.
 */
final class RetrainSlots {

    /**
     * A model's last retraining.
     *
     * @param runId       its run
     * @param requestedAt when it was requested; absent in a record that did not keep it (no interval applies)
     */
    record LastRun(String runId, @OptionalField Instant requestedAt) {
        LastRun {
            Require.safeName(runId, "runId");
        }
    }

    /** Why a retraining was not requested, as the metric's {@code reason} tag says it. */
    enum Skip {
        /** The model's previous retraining run has not ended. */
        RUNNING("running"),
        /** The model's previous retraining was requested less than the minimum interval ago. */
        TOO_SOON("too-soon"),
        /** Another trainer requested the model's retraining at the same moment. */
        TAKEN("taken");

        final String tag;

        Skip(String tag) {
            this.tag = tag;
        }
    }

    /** The answer to {@link #claim}: the slot is this trainer's ({@link Granted}) or it is not ({@link Refused}). */
    sealed interface Claim permits Granted, Refused {}

    /**
     * The model's record names the new run now; {@link #release} puts back what it named before.
     *
     * @param etag     the ETag of the record this claim wrote
     * @param previous the record it replaced; empty when there was none
     */
    record Granted(String model, String etag, Optional<byte[]> previous) implements Claim {}

    /** @param detail why, in words for the log */
    record Refused(Skip skip, String detail) implements Claim {}

    private final ArtifactStore store;
    private final RunOutcomes outcomes;
    private final Duration minInterval;
    private final Clock clock;

    RetrainSlots(ArtifactStore store, Duration minInterval, Clock clock) {
        this.store = store;
        this.outcomes = new RunOutcomes(store);
        this.minInterval = minInterval;
        this.clock = clock;
    }

    /**
     * Records {@code runId} as the model's retraining when the model may be retrained now.
     *
     * @throws dev.ddpm.core.storage.StorageException when the record cannot be read or written
     * @throws dev.ddpm.core.json.InvalidPayloadException when the stored record is malformed
     */
    Claim claim(String model, String runId) {
        Optional<ArtifactStore.Tagged> current = read(model);
        if (current.isPresent()) {
            LastRun last = Json.read(current.get().data(), LastRun.class);
            // A run without an outcome blocks the next one, unless its request is older than the
            // requests topic keeps records: then it was lost (dead-lettered, or its trainer died
            // between claiming and sending) and would otherwise block the model's retraining for ever.
            boolean lost = last.requestedAt() != null
                    && last.requestedAt().plus(Topic.RETENTION).isBefore(clock.instant());
            if (!lost && outcomes.find(last.runId()).isEmpty()) {
                return new Refused(Skip.RUNNING, "its retraining run " + last.runId() + " has not ended");
            }
            if (last.requestedAt() != null) {
                Instant next = last.requestedAt().plus(minInterval);
                if (clock.instant().isBefore(next)) {
                    return new Refused(
                            Skip.TOO_SOON,
                            "its last retraining (run " + last.runId() + ") was requested at " + last.requestedAt()
                                    + "; trainer.retrain.min-interval (" + minInterval + ") allows the next from "
                                    + next);
                }
            }
        }
        byte[] record = Json.write(new LastRun(runId, clock.instant()));
        Optional<String> etag = current.isPresent()
                ? store.putIfMatch(
                        Buckets.CHECKPOINTS,
                        key(model),
                        record,
                        "application/json",
                        current.get().etag())
                : store.putIfAbsent(Buckets.CHECKPOINTS, key(model), record, "application/json");
        if (etag.isEmpty()) {
            return new Refused(Skip.TAKEN, "another trainer requested its retraining at the same moment");
        }
        return new Granted(model, etag.get(), current.map(ArtifactStore.Tagged::data));
    }

    /**
     * Undoes a claim whose run could not be requested, so that the run that does not exist holds
     * nothing. No other trainer can have replaced the record meanwhile: the claimed run has no outcome.
     */
    void release(Granted granted) {
        if (granted.previous().isPresent()) {
            store.putIfMatch(
                    Buckets.CHECKPOINTS,
                    key(granted.model()),
                    granted.previous().get(),
                    "application/json",
                    granted.etag());
        } else {
            store.delete(Buckets.CHECKPOINTS, key(granted.model()));
        }
    }

    /** The model's last retraining, if it has had one. */
    Optional<LastRun> last(String model) {
        return read(model).map(tagged -> Json.read(tagged.data(), LastRun.class));
    }

    private Optional<ArtifactStore.Tagged> read(String model) {
        try {
            return Optional.of(store.getTagged(Buckets.CHECKPOINTS, key(model)));
        } catch (ObjectNotFoundException e) {
            return Optional.empty();
        }
    }

    private static String key(String model) {
        return "_models/" + model + ".json";
    }
}
