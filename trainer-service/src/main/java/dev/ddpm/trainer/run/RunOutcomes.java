package dev.ddpm.trainer.run;

import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.StorageException;

import java.util.Optional;

/** The terminal records of runs ({@link OutcomeRecord}) in {@code ddpm-checkpoints}. */
public final class RunOutcomes {

    private final ArtifactStore store;

    public RunOutcomes(ArtifactStore store) {
        this.store = store;
    }

    /**
     * How the run ended, or empty while it has not.
     *
     * @throws StorageException        when the store cannot say
     * @throws InvalidPayloadException when the stored record is malformed
     */
    public Optional<OutcomeRecord> find(String runId) {
        String key = OutcomeRecord.key(runId);
        return store.exists(Buckets.CHECKPOINTS, key)
                ? Optional.of(store.getJson(Buckets.CHECKPOINTS, key, OutcomeRecord.class))
                : Optional.empty();
    }

    /**
     * Stores the record unless the run has one already (a conditional write: of two trainers ending one
     * run, the first end stored is the run's end); returns the run's end, this one or the one stored first.
     */
    public OutcomeRecord write(OutcomeRecord outcome) {
        String key = OutcomeRecord.key(outcome.runId());
        if (store.putIfAbsent(Buckets.CHECKPOINTS, key, Json.write(outcome), "application/json")
                .isPresent()) {
            return outcome;
        }
        return store.getJson(Buckets.CHECKPOINTS, key, OutcomeRecord.class);
    }
}
