package dev.ddpm.trainer.service;

import dev.ddpm.core.events.TrainingCancelRequested;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The training runs someone cancelled. Every trainer replica hears every TrainingCancelRequested
 * and records it twice: in memory, which the run it may be training checks at every step, and as
 * {@code ddpm-checkpoints/{run}/cancelled.json}, which a replica that receives the run's request
 * later (another one, or this one after a restart) checks before it starts. A run whose newest
 * checkpoint says it ended is left as it is: cancelling it changes nothing.
 */
@Singleton
public class RunCancellations {

    private static final Logger LOG = Logger.getLogger(RunCancellations.class);
    /** Runs remembered in memory; older cancels are still found through their markers. */
    private static final int REMEMBERED = 10_000;

    /**
     * {@code ddpm-checkpoints/{run}/cancelled.json}: the run was cancelled.
     *
     * @param requestedBy who cancelled it, if the request said
     */
    public record Marker(String runId, @OptionalField String requestedBy, Instant requestedAt) {
        public Marker {
            Require.safeName(runId, "runId");
            Require.nonNull(requestedAt, "requestedAt");
        }
    }

    private final ArtifactStore store;
    private final Clock clock;
    private final Map<String, Marker> remembered = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Marker> eldest) {
            return size() > REMEMBERED;
        }
    };

    @Inject
    public RunCancellations(ArtifactStore store) {
        this(store, Clock.systemUTC());
    }

    RunCancellations(ArtifactStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    public static String markerKey(String runId) {
        return runId + "/cancelled.json";
    }

    /**
     * Records a cancel: remembered, and its marker written unless there is one already. A run that
     * has ended is neither; returns whether the cancel was recorded. The run is remembered even when
     * S3 cannot be reached, so that a run training here stops all the same.
     */
    public boolean request(TrainingCancelRequested cancel) {
        String runId = cancel.runId();
        Marker marker = new Marker(runId, cancel.requestedBy(), clock.instant());
        if (markerExists(runId)) {
            remember(marker); // recorded already: by another replica, or heard again after a restart
            return true;
        }
        if (ended(runId)) {
            LOG.infof("run %s has already ended: its cancel changes nothing", runId);
            return false;
        }
        remember(marker);
        LOG.infof(
                "run %s cancelled%s: it stops at its next step, or never starts",
                runId, cancel.requestedBy() == null ? "" : " by " + cancel.requestedBy());
        try {
            store.putJson(Buckets.CHECKPOINTS, markerKey(runId), marker);
        } catch (StorageException e) {
            LOG.warnf(
                    "run %s: its cancel marker could not be written (%s); a trainer that has not heard the cancel "
                            + "would still start it",
                    runId, e.getMessage());
        }
        return true;
    }

    /** Whether this trainer has heard the run's cancel; cheap, so that a run checks it at every step. */
    public boolean requested(String runId) {
        synchronized (remembered) {
            return remembered.containsKey(runId);
        }
    }

    /** The run's cancel: one this trainer heard, or the marker another replica or an earlier start wrote. */
    public Optional<Marker> find(String runId) {
        synchronized (remembered) {
            Marker heard = remembered.get(runId);
            if (heard != null) {
                return Optional.of(heard);
            }
        }
        return read(runId);
    }

    private Optional<Marker> read(String runId) {
        try {
            return store.exists(Buckets.CHECKPOINTS, markerKey(runId))
                    ? Optional.of(store.getJson(Buckets.CHECKPOINTS, markerKey(runId), Marker.class))
                    : Optional.empty();
        } catch (InvalidPayloadException e) {
            // A marker that cannot be read still says the run was cancelled.
            LOG.warnf("run %s: unreadable cancel marker (%s); the run counts as cancelled", runId, e.getMessage());
            return Optional.of(new Marker(runId, null, clock.instant()));
        } catch (StorageException e) {
            // S3 away: the run goes on as if not cancelled, and fails where it needs S3 next (its data set).
            LOG.warnf("run %s: its cancel marker could not be read (%s)", runId, e.getMessage());
            return Optional.empty();
        }
    }

    private boolean markerExists(String runId) {
        try {
            return store.exists(Buckets.CHECKPOINTS, markerKey(runId));
        } catch (StorageException e) {
            return false;
        }
    }

    private boolean ended(String runId) {
        try {
            return new CheckpointStore(store).latest(runId).ended();
        } catch (StorageException | InvalidPayloadException e) {
            return false; // no checkpoint yet (or none readable): the run has not ended
        }
    }

    private void remember(Marker marker) {
        synchronized (remembered) {
            remembered.put(marker.runId(), marker);
        }
    }
}
