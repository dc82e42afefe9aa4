package dev.ddpm.gateway.service;

import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.events.CheckpointSaved;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.ModelEvaluated;
import dev.ddpm.core.events.TrainingCancelRequested;
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
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.BiFunction;

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
     * @param timeline    when it was requested, started and ended, and its time box (what training quotas count)
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
            String dataset,
            Timeline timeline) {

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
                    null,
                    Timeline.UNKNOWN));
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
            private Timeline timeline;

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
                timeline = from.timeline;
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

            Builder timeline(Timeline value) {
                timeline = value;
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
                        dataset,
                        timeline);
            }
        }

        /** Whether the run has ended: completed, failed or cancelled. */
        public boolean finished() {
            return state == State.COMPLETED || state == State.FAILED || state == State.CANCELLED;
        }
    }

    /**
     * What training quotas count of a run: when it was requested, started and ended (the times of the
     * events that said so, so that a replica reading the topics later sees the same), its time box, and
     * whether its requester has asked to cancel it.
     *
     * @param requestedAt     when it was requested; null when only the trainer's events are known
     * @param startedAt       its first start (TrainingStarted, or the first report of a run already running);
     *                        null before it started
     * @param endedAt         when it completed, failed or was cancelled; null while it has not ended
     * @param maxMinutes      its request's time box, 0 for none (or when its request is not known)
     * @param cancelRequested whether a cancel was asked: a run that has not started will train nothing
     */
    public record Timeline(
            Instant requestedAt, Instant startedAt, Instant endedAt, double maxMinutes, boolean cancelRequested) {

        static final Timeline UNKNOWN = new Timeline(null, null, null, 0, false);

        Timeline requested(Instant at, double boxMinutes) {
            return new Timeline(
                    requestedAt == null ? at : requestedAt, startedAt, endedAt, boxMinutes, cancelRequested);
        }

        /** After an event of the run's own that arrived at {@code at}. */
        Timeline after(EventData event, Instant at) {
            if (event instanceof TrainingStarted
                    || event instanceof TrainingProgress
                    || event instanceof CheckpointSaved) {
                // A start after an end is the run requested again: it runs again.
                return new Timeline(
                        requestedAt,
                        startedAt == null ? at : startedAt,
                        event instanceof TrainingStarted ? null : endedAt,
                        maxMinutes,
                        cancelRequested);
            }
            if (event instanceof TrainingCompleted
                    || event instanceof TrainingFailed
                    || event instanceof TrainingCancelled) {
                return new Timeline(requestedAt, startedAt, at, maxMinutes, cancelRequested);
            }
            return this;
        }

        Timeline cancelAsked() {
            return new Timeline(requestedAt, startedAt, endedAt, maxMinutes, true);
        }
    }

    private final ConcurrentMap<String, Run> runs = new ConcurrentHashMap<>();
    private final BroadcastProcessor<Run> changes = BroadcastProcessor.create();
    private final Clock clock;

    @Inject
    public TrainingRuns(Clock clock) {
        this.clock = clock;
    }

    /** A view on the system clock, for tests of the folding alone. */
    public TrainingRuns() {
        this(Clock.systemUTC());
    }

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
        requested(runId, modelName, dataset, requestedBy, 0, clock.instant());
    }

    /** The run this replica has just sent TrainingRequested for, with its time box, requested now. */
    public void requested(String runId, TrainingRequest request, String requestedBy) {
        requested(runId, request.modelName(), request.dataset(), requestedBy, request.maxMinutes(), clock.instant());
    }

    private void requested(
            String runId, String modelName, String dataset, String requestedBy, double maxMinutes, Instant at) {
        update(runs.compute(runId, (id, old) -> {
            Run run = base(id, old, modelName).withRequestedBy(requestedBy).withDataset(dataset);
            return run.toBuilder()
                    .timeline(run.timeline().requested(at, maxMinutes))
                    .build();
        }));
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

    /** Folds one event of {@code ddpm.training-events} into its run's state, as having happened now. */
    public void apply(EventData data) {
        apply(data, clock.instant());
    }

    /**
     * Folds one event of {@code ddpm.training-events} or {@code ddpm.training-requests} into its run's
     * state; {@code at} is when it happened (the event's time).
     */
    public void apply(EventData data, Instant at) {
        Run known = runs.get(data.partitionKey());
        if (known != null && isStale(known, data)) {
            return;
        }
        fold(data, at);
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

    private void fold(EventData data, Instant at) {
        if (data instanceof TrainingRequested r) {
            requested(
                    r.runId(),
                    r.request().modelName(),
                    r.request().dataset(),
                    r.requestedBy(),
                    r.request().maxMinutes(),
                    at);
        } else if (data instanceof TrainingCancelRequested c) {
            // Not a change the run shows (the trainer's TrainingCancelled is): the quotas stop holding a
            // slot for a run that has not started, since it will train nothing.
            runs.computeIfPresent(
                    c.runId(),
                    (id, run) -> run.toBuilder()
                            .timeline(run.timeline().cancelAsked())
                            .build());
        } else if (data instanceof TrainingCancelled c) {
            update(timed(data, at, c.runId(), (id, old) -> {
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
            update(timed(
                    data, at, e.runId(), (id, old) -> base(id, old, e.name()).withEvaluation(e)));
        } else if (data instanceof TrainingStarted s) {
            update(timed(
                    data,
                    at,
                    s.runId(),
                    (id, old) -> base(id, old, s.modelName())
                            .withDataset(s.dataset())
                            .with(State.RUNNING, s.startStep(), s.totalSteps(), Double.NaN, 0, 0, null, null)));
        } else if (data instanceof TrainingProgress p) {
            update(timed(
                    data,
                    at,
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
            update(timed(data, at, c.runId(), (id, old) -> {
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
            update(timed(
                    data,
                    at,
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
            update(timed(data, at, f.runId(), (id, old) -> {
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

    /** Changes a run as {@code change} does and records the event's time in its timeline. */
    private Run timed(EventData data, Instant at, String runId, BiFunction<String, Run, Run> change) {
        return runs.compute(runId, (id, old) -> {
            Run run = change.apply(id, old);
            return run.toBuilder().timeline(run.timeline().after(data, at)).build();
        });
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
