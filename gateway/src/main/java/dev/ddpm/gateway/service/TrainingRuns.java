package dev.ddpm.gateway.service;

import dev.ddpm.core.events.CheckpointSaved;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.ModelEvaluated;
import dev.ddpm.core.events.TrainingCancelled;
import dev.ddpm.core.events.TrainingCompleted;
import dev.ddpm.core.events.TrainingFailed;
import dev.ddpm.core.events.TrainingProgress;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.events.TrainingStarted;
import dev.ddpm.gateway.auth.Caller;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The state of every training run, folded from {@code ddpm.training-events} and who requested it
 * from {@code ddpm.training-requests} (each gateway replica reads both topics from their start in a
 * group of its own, see {@code TrainingEventsConsumer}), and a live feed of changes for
 * {@code GET /v1/trainings/{id}/events}. A run's state only moves forward: an event that arrives
 * after the run has completed, failed or been cancelled (a late progress report, a redelivery)
 * changes nothing. The quality gate's verdict (ModelEvaluated) is taken in any state: it comes
 * after the run has completed.
 */
@Singleton
public class TrainingRuns {

    public enum State {
        REQUESTED,
        RUNNING,
        COMPLETED,
        FAILED,
        /** Ended by a cancellation (TrainingCancelled): checkpoints kept, nothing published. */
        CANCELLED
    }

    /**
     * One run as the API shows it.
     *
     * @param quality     the newest quality measurement (TrainingProgress.quality), empty before the first
     * @param qualityStep the step it was measured at
     * @param requestedBy the key id that requested the run (its owner); null when not known
     * @param evaluated   the quality gate's verdict on the version it trained; null before it has one
     * @param dataset     the data set it trains on (its request, or TrainingStarted); null when not known
     */
    public record Run(
            String runId,
            String modelName,
            State state,
            long step,
            long totalSteps,
            double loss,
            double imagesPerSecond,
            double etaSeconds,
            String modelVersion,
            String error,
            Instant updatedAt,
            Map<String, Double> quality,
            long qualityStep,
            String requestedBy,
            ModelEvaluated evaluated,
            String dataset) {

        Run with(State s, long st, long total, double l, double ips, double eta, String version, String err) {
            return toBuilder()
                    .state(s)
                    .step(st)
                    .totalSteps(total)
                    .loss(l)
                    .imagesPerSecond(ips)
                    .etaSeconds(eta)
                    .modelVersion(version)
                    .error(err)
                    .updatedAt(Instant.now())
                    .build();
        }

        Run withRequestedBy(String keyId) {
            return keyId == null || requestedBy != null
                    ? this
                    : toBuilder().requestedBy(keyId).build();
        }

        Run withDataset(String name) {
            return name == null || dataset != null
                    ? this
                    : toBuilder().dataset(name).build();
        }

        Run withEvaluation(ModelEvaluated verdict) {
            return toBuilder()
                    .modelVersion(modelVersion == null ? verdict.version() : modelVersion)
                    .updatedAt(Instant.now())
                    .evaluated(verdict)
                    .build();
        }

        Run withQuality(Map<String, Double> measured, long atStep) {
            return measured.isEmpty()
                    ? this
                    : toBuilder().quality(measured).qualityStep(atStep).build();
        }

        /** This run, to change by name. */
        Builder toBuilder() {
            return new Builder(this);
        }

        /** A run just requested: nothing known of it but its id. */
        static Builder requested(String runId) {
            return new Builder(new Run(
                    runId,
                    null,
                    State.REQUESTED,
                    0,
                    0,
                    Double.NaN,
                    0,
                    0,
                    null,
                    null,
                    Instant.now(),
                    Map.of(),
                    0,
                    null,
                    null,
                    null));
        }

        /** Builds a run by name from another. */
        static final class Builder {
            private final String runId;
            private String modelName;
            private State state;
            private long step;
            private long totalSteps;
            private double loss;
            private double imagesPerSecond;
            private double etaSeconds;
            private String modelVersion;
            private String error;
            private Instant updatedAt;
            private Map<String, Double> quality;
            private long qualityStep;
            private String requestedBy;
            private ModelEvaluated evaluated;
            private String dataset;

            private Builder(Run from) {
                runId = from.runId;
                modelName = from.modelName;
                state = from.state;
                step = from.step;
                totalSteps = from.totalSteps;
                loss = from.loss;
                imagesPerSecond = from.imagesPerSecond;
                etaSeconds = from.etaSeconds;
                modelVersion = from.modelVersion;
                error = from.error;
                updatedAt = from.updatedAt;
                quality = from.quality;
                qualityStep = from.qualityStep;
                requestedBy = from.requestedBy;
                evaluated = from.evaluated;
                dataset = from.dataset;
            }

            Builder modelName(String value) {
                modelName = value;
                return this;
            }

            Builder state(State value) {
                state = value;
                return this;
            }

            Builder step(long value) {
                step = value;
                return this;
            }

            Builder totalSteps(long value) {
                totalSteps = value;
                return this;
            }

            Builder loss(double value) {
                loss = value;
                return this;
            }

            Builder imagesPerSecond(double value) {
                imagesPerSecond = value;
                return this;
            }

            Builder etaSeconds(double value) {
                etaSeconds = value;
                return this;
            }

            Builder modelVersion(String value) {
                modelVersion = value;
                return this;
            }

            Builder error(String value) {
                error = value;
                return this;
            }

            Builder updatedAt(Instant value) {
                updatedAt = value;
                return this;
            }

            Builder quality(Map<String, Double> value) {
                quality = value;
                return this;
            }

            Builder qualityStep(long value) {
                qualityStep = value;
                return this;
            }

            Builder requestedBy(String value) {
                requestedBy = value;
                return this;
            }

            Builder evaluated(ModelEvaluated value) {
                evaluated = value;
                return this;
            }

            Builder dataset(String value) {
                dataset = value;
                return this;
            }

            Run build() {
                return new Run(
                        runId,
                        modelName,
                        state,
                        step,
                        totalSteps,
                        loss,
                        imagesPerSecond,
                        etaSeconds,
                        modelVersion,
                        error,
                        updatedAt,
                        quality,
                        qualityStep,
                        requestedBy,
                        evaluated,
                        dataset);
            }
        }

        /** Whether the run has ended: completed, failed or cancelled. */
        public boolean finished() {
            return state == State.COMPLETED || state == State.FAILED || state == State.CANCELLED;
        }
    }

    private final ConcurrentMap<String, Run> runs = new ConcurrentHashMap<>();
    private final BroadcastProcessor<Run> changes = BroadcastProcessor.create();

    void onStop(@Observes ShutdownEvent event) {
        changes.onComplete();
    }

    /** Every run known, most recently updated first. */
    public List<Run> all() {
        return runs.values().stream()
                .sorted(Comparator.comparing(Run::updatedAt).reversed())
                .toList();
    }

    public Optional<Run> get(String runId) {
        return Optional.ofNullable(runs.get(runId));
    }

    /** The runs {@code caller} may see (its own; an admin every run), most recently updated first. */
    public List<Run> all(Caller caller) {
        return all().stream()
                .filter(run -> Ownership.sees(caller, run.requestedBy()))
                .toList();
    }

    /** The run, if {@code caller} may see it: empty alike for an unknown run and another key's. */
    public Optional<Run> get(String runId, Caller caller) {
        return get(runId).filter(run -> Ownership.sees(caller, run.requestedBy()));
    }

    /** The 404 for a run that is not known, and for one the caller may not see. */
    public static GatewayException unknown(String runId) {
        return new GatewayException(404, "unknown training run", "no run '" + runId + "' is known");
    }

    /**
     * The run was requested (by this replica or, read from the requests' topic, by any): it shows as
     * requested until the trainer reports. A run known already keeps its state and gains its owner.
     *
     * @param requestedBy the key id that asked for it; null when not known
     */
    public void requested(String runId, String modelName, String requestedBy) {
        requested(runId, modelName, null, requestedBy);
    }

    /**
     * {@link #requested(String, String, String)} with the data set it trains on, which a run known
     * already gains too when it had none.
     */
    public void requested(String runId, String modelName, String dataset, String requestedBy) {
        update(runs.compute(
                runId,
                (id, old) ->
                        base(id, old, modelName).withRequestedBy(requestedBy).withDataset(dataset)));
    }

    /** The run's state now and at every change, ending after it completes or fails. */
    public Multi<Run> watch(String runId) {
        return Multi.createFrom().emitter(emitter -> {
            var subscription = changes.filter(r -> r.runId().equals(runId))
                    .subscribe()
                    .with(run -> {
                        emitter.emit(run);
                        if (run.finished()) {
                            emitter.complete();
                        }
                    });
            emitter.onTermination(subscription::cancel);
            get(runId).ifPresent(run -> {
                emitter.emit(run);
                if (run.finished()) {
                    emitter.complete();
                }
            });
        });
    }

    /** Folds one event of {@code ddpm.training-events} into its run's state. */
    public void apply(EventData data) {
        Run known = runs.get(data.partitionKey());
        if (known != null && isStale(known, data)) {
            return;
        }
        fold(data);
    }

    /**
     * An event that would move an ended run backwards or tell its end again: progress or a checkpoint
     * after it ended, a start after it completed, a failure after it completed, or the same end again
     * (a trainer re-sends a run's end when its request is redelivered). A start after a failure is the
     * run being requested again, and counts.
     */
    private static boolean isStale(Run known, EventData data) {
        return switch (known.state()) {
            case COMPLETED ->
                data instanceof TrainingStarted
                        || data instanceof TrainingProgress
                        || data instanceof CheckpointSaved
                        || data instanceof TrainingCancelled
                        || data instanceof TrainingCompleted
                        || data instanceof TrainingFailed;
            case CANCELLED ->
                data instanceof TrainingStarted
                        || data instanceof TrainingProgress
                        || data instanceof CheckpointSaved
                        || data instanceof TrainingCancelled;
            case FAILED ->
                data instanceof TrainingProgress
                        || data instanceof CheckpointSaved
                        || data instanceof TrainingCancelled
                        || data instanceof TrainingFailed;
            default -> false;
        };
    }

    private void fold(EventData data) {
        if (data instanceof TrainingRequested r) {
            requested(r.runId(), r.request().modelName(), r.request().dataset(), r.requestedBy());
        } else if (data instanceof TrainingCancelled c) {
            update(runs.compute(c.runId(), (id, old) -> {
                Run r = base(id, old, null);
                return r.with(
                        State.CANCELLED,
                        Math.max(r.step(), c.step()),
                        r.totalSteps(),
                        r.loss(),
                        0,
                        0,
                        null,
                        c.requestedBy() == null ? "cancelled" : "cancelled by " + c.requestedBy());
            }));
        } else if (data instanceof ModelEvaluated e) {
            update(runs.compute(e.runId(), (id, old) -> base(id, old, e.name()).withEvaluation(e)));
        } else if (data instanceof TrainingStarted s) {
            update(runs.compute(
                    s.runId(),
                    (id, old) -> base(id, old, s.modelName())
                            .withDataset(s.dataset())
                            .with(State.RUNNING, s.startStep(), s.totalSteps(), Double.NaN, 0, 0, null, null)));
        } else if (data instanceof TrainingProgress p) {
            update(runs.compute(
                    p.runId(),
                    (id, old) -> base(id, old, null)
                            .with(
                                    State.RUNNING,
                                    p.step(),
                                    p.totalSteps(),
                                    p.loss(),
                                    p.imagesPerSecond(),
                                    p.etaSeconds(),
                                    null,
                                    null)
                            .withQuality(p.quality(), p.step())));
        } else if (data instanceof CheckpointSaved c) {
            update(runs.compute(c.runId(), (id, old) -> {
                Run r = base(id, old, null);
                return r.with(
                        r.state() == State.REQUESTED ? State.RUNNING : r.state(),
                        Math.max(r.step(), c.step()),
                        r.totalSteps(),
                        r.loss(),
                        r.imagesPerSecond(),
                        r.etaSeconds(),
                        r.modelVersion(),
                        r.error());
            }));
        } else if (data instanceof TrainingCompleted c) {
            update(runs.compute(
                    c.runId(),
                    (id, old) -> base(id, old, c.modelName())
                            .with(
                                    State.COMPLETED,
                                    c.finalStep(),
                                    c.finalStep(),
                                    c.finalLoss(),
                                    0,
                                    0,
                                    c.modelVersion(),
                                    null)));
        } else if (data instanceof TrainingFailed f) {
            update(runs.compute(f.runId(), (id, old) -> {
                Run r = base(id, old, null);
                return r.with(
                        State.FAILED,
                        f.step() == null ? r.step() : f.step(),
                        r.totalSteps(),
                        r.loss(),
                        0,
                        0,
                        null,
                        f.reason());
            }));
        }
    }

    private static Run base(String id, Run old, String modelName) {
        if (old != null) {
            return modelName == null || old.modelName() != null
                    ? old
                    : old.toBuilder().modelName(modelName).build();
        }
        return Run.requested(id).modelName(modelName).build();
    }

    private void update(Run run) {
        changes.onNext(run);
    }
}
