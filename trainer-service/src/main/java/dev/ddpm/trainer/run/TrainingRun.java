package dev.ddpm.trainer.run;

import ai.djl.Device;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.diffusion.ReverseProcess;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.diffusion.SchedulerSettings;
import dev.ddpm.core.diffusion.Schedulers;
import dev.ddpm.core.image.ImageEncoding;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.messaging.MessagingException;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.core.storage.StorageUnavailableException;
import dev.ddpm.trainer.checkpoint.CheckpointFence;
import dev.ddpm.trainer.checkpoint.CheckpointManifest;
import dev.ddpm.trainer.checkpoint.CheckpointRetention;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import dev.ddpm.trainer.checkpoint.NoUsableCheckpointException;
import dev.ddpm.trainer.checkpoint.RunFencedException;
import dev.ddpm.trainer.data.ImageSet;
import dev.ddpm.trainer.eval.PixelProbe;
import dev.ddpm.trainer.eval.PreviewGrid;
import dev.ddpm.trainer.eval.QualityProbe;
import dev.ddpm.trainer.eval.QualityReport;
import dev.ddpm.trainer.eval.SampleProbe;
import dev.ddpm.trainer.export.ModelPublisher;
import dev.ddpm.trainer.export.ProductionComparison;
import dev.ddpm.trainer.export.PublishRights;
import dev.ddpm.trainer.train.DiffusionNetwork;
import dev.ddpm.trainer.train.DiffusionTrainer;
import dev.ddpm.trainer.train.TrainingSettings;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Drives one run from its first (or resumed) step to the last: reports progress, checkpoints every
 * N steps and at the end, stores a sample grid from the EMA weights (fixed seed, so grids of one
 * run are comparable) and the loss curve with the run. A failure is reported, never swallowed.
 */
public final class TrainingRun {

    private static final Logger LOG = Logger.getLogger(TrainingRun.class);
    /** Quality samples start from other noises than the preview grid's. */
    static final long QUALITY_SEED = PreviewGrid.SEED + 1;

    private final RunPlan plan;
    private final ImageSet data;
    private final Device device;
    private final ArtifactStore store;
    private final CheckpointStore checkpoints;
    private final RunListener listener;
    private final ModelPublisher publisher;
    private final CheckpointRetention retention;
    private final CheckpointFence fence;
    private Map<String, Double> lastQuality = Map.of();

    /** @param publisher publishes the final weights (and every {@code exportEvery} checkpoints); null: no export */
    public TrainingRun(
            RunPlan plan,
            ImageSet data,
            Device device,
            ArtifactStore store,
            RunListener listener,
            ModelPublisher publisher) {
        this(plan, data, device, store, listener, publisher, CheckpointFence.NONE);
    }

    /**
     * As the other constructor, asking {@code fence} before every checkpoint write whether this attempt
     * still owns the run; when it does not, {@link #run} throws {@link RunFencedException} and reports nothing.
     */
    public TrainingRun(
            RunPlan plan,
            ImageSet data,
            Device device,
            ArtifactStore store,
            RunListener listener,
            ModelPublisher publisher,
            CheckpointFence fence) {
        if (data.channels() != plan.settings().architecture().imageChannels()
                || data.imageSize() != plan.settings().architecture().imageSize()) {
            throw new IllegalArgumentException("data set " + plan.dataset() + " has " + data.channels() + "x"
                    + data.imageSize() + "x" + data.imageSize() + " images, the model takes "
                    + plan.settings().architecture().imageChannels() + "x"
                    + plan.settings().architecture().imageSize()
                    + "x" + plan.settings().architecture().imageSize());
        }
        this.plan = plan;
        this.data = data;
        this.device = device;
        this.store = store;
        this.checkpoints = new CheckpointStore(store);
        this.listener = listener;
        this.publisher = publisher;
        this.retention = new CheckpointRetention(plan.keepCheckpoints(), plan.checkpointEvery());
        this.fence = fence;
    }

    /** Runs to the last step (or until {@code stop} says so, after a checkpoint); returns the final checkpoint. */
    public ObjectRef run(BooleanSupplier stop) {
        return run(stop, 0);
    }

    /**
     * Runs to the last step, pausing when {@code stop} says so (a checkpoint to resume from, nothing
     * published) and finishing early at its time box of {@code timeBoxMinutes} (0: none), counted from
     * this call: then the step reached is the run's last, with its checkpoint, grid, loss curve,
     * published model and TrainingCompleted. A time-boxed run with cosine decay fits the decay to the
     * steps it will reach ({@link TimeBoxedDecay}), and a resumed one counts the minutes its earlier
     * attempts trained as spent.
     */
    public ObjectRef run(BooleanSupplier stop, double timeBoxMinutes) {
        // The attempt's clock and the time box start together, before the network is built and restored,
        // so the seconds a checkpoint records are the seconds the box has used.
        Attempt attempt = new Attempt(System.nanoTime(), stop);
        TimeLimit timeBox = TimeLimit.minutes(timeBoxMinutes);
        try (DiffusionTrainer trainer = new DiffusionTrainer(plan.settings(), device)) {
            boolean resumedItself = restore(trainer, timeBox, attempt);
            announce(trainer, attempt);
            attempt.probe = qualityProbe();
            if (attempt.step >= plan.totalSteps()) {
                LOG.infof(
                        "run %s is already at step %d of %d: nothing to train",
                        plan.runId(), attempt.step, plan.totalSteps());
                return checkpoints.save(plan.runId(), trainer, true, attempt.secondsBefore, retention, fence);
            }
            if (resumedItself && stop.getAsBoolean()) {
                // Restoring and building the probe take a while: a revoked run pauses here, at its checkpoint.
                // A run without one of its own trains a step first, so that it leaves one to resume from.
                LOG.infof("run %s stopped before training, at step %d", plan.runId(), attempt.step);
                return attempt.checkpoint;
            }
            if (resumedItself && attempt.limit.reached()) {
                // Resumed with its time box already spent by the earlier attempts: it ends where they left it,
                // as a run that reaches its box does. (A fresh run always trains at least one step.)
                LOG.infof(
                        "run %s resumed at step %d with its time box spent: it ends here", plan.runId(), attempt.step);
                saveCheckpoint(trainer, attempt, true, attempt.secondsBefore, true);
                storeGrid(trainer, attempt.step);
                return finish(trainer, attempt);
            }
            return train(trainer, attempt, stop);
        } catch (RunFencedException e) {
            LOG.infof("run %s stops at step %d without writing: %s", plan.runId(), attempt.step, e.getMessage());
            throw e;
        } catch (StorageUnavailableException | MessagingException e) {
            // S3 or the broker away past their retries: not the run's failure. It resumes from its newest
            // checkpoint when its request is tried again.
            LOG.warnf("run %s interrupted at step %d by an outage: %s", plan.runId(), attempt.step, e.getMessage());
            throw e;
        } catch (RuntimeException | Error e) {
            // Errors too (out of memory in libtorch or the heap): the run is settled as failed either way.
            LOG.errorf("run %s failed at step %d: %s", plan.runId(), attempt.step, e.toString());
            listener.failed(attempt.step, e.getClass().getSimpleName() + ": " + e.getMessage());
            throw e;
        } finally {
            if (attempt.probe != null) {
                attempt.probe.close();
            }
        }
    }

    /**
     * Restores the newest usable checkpoint of the run into the trainer, or, for a run that has none
     * yet, the one of the run it fine-tunes (at {@code resumeFromStep} when the plan names it), and
     * with it the time the box has left; returns whether it was the run's own, an earlier attempt.
     */
    private boolean restore(DiffusionTrainer trainer, TimeLimit timeBox, Attempt attempt) {
        Optional<CheckpointManifest> resumed = checkpoints.resume(plan.runId(), trainer);
        if (resumed.isEmpty() && plan.resumeFrom() != null) {
            resumed = plan.resumeFromStep() == null
                    ? checkpoints.resume(plan.resumeFrom(), trainer)
                    : Optional.of(checkpoints.resume(plan.resumeFrom(), plan.resumeFromStep(), trainer));
            if (resumed.isEmpty()) {
                // Training from step 0 would publish a model that is not the fine-tune asked for.
                throw new NoUsableCheckpointException("run " + plan.runId() + " fine-tunes run " + plan.resumeFrom()
                        + ", which has no usable checkpoint (none stored, or none readable now); nothing trained");
            }
        }
        // A fine-tune starts its own clock and schedule; a resume of this run goes on with its own.
        Optional<CheckpointManifest> earlierAttempt =
                resumed.filter(m -> m.runId().equals(plan.runId()));
        attempt.secondsBefore =
                earlierAttempt.map(CheckpointManifest::trainingSeconds).orElse(0.0);
        earlierAttempt.map(CheckpointManifest::decayEnd).ifPresent(trainer::fitDecayEnd);
        attempt.limit = timeBox.afterSpending(attempt.secondsBefore);
        attempt.step = trainer.step();
        return earlierAttempt.isPresent();
    }

    /**
     * Stores the run's request beside its checkpoints the first time the run starts (a restart or a
     * later {@code train --run} keeps the request the run began with). The recipe documents the model;
     * failing to store it is logged, not a reason to fail the run.
     */
    private void keepRecipe() {
        if (plan.recipe() == null) {
            return;
        }
        try {
            if (checkpoints.recipe(plan.runId()).isEmpty()) {
                checkpoints.saveRecipe(plan.runId(), plan.recipe());
            }
        } catch (RuntimeException e) {
            LOG.warnf(
                    "run %s: its training request could not be stored beside its checkpoints: %s",
                    plan.runId(), e.getMessage());
        }
    }

    /** Logs what is about to train and reports the run as started. */
    private void announce(DiffusionTrainer trainer, Attempt attempt) {
        long parameters = trainer.network().unet().parameterCount();
        TrainingSettings s = plan.settings();
        LOG.infof(
                "run %s: model %s, %,d parameters, %d images of %s, steps %d..%d on %s; batch %d, lr %.2g%s, %s loss",
                plan.runId(),
                plan.modelName(),
                parameters,
                data.size(),
                plan.dataset(),
                attempt.step,
                plan.totalSteps(),
                device,
                s.batchSize(),
                s.learningRate(),
                s.decaySteps() > 0 ? " cosine" : "",
                s.snrGamma() > 0 ? "Min-SNR-" + s.snrGamma() : "simple");
        keepRecipe();
        listener.started(parameters, device.toString(), attempt.step, plan.totalSteps());
    }

    /**
     * Trains step after step to the run's last (its steps or its time box), reporting, storing grids
     * and checkpointing at their intervals; returns the last checkpoint, or the one {@code stop} paused at.
     */
    private ObjectRef train(DiffusionTrainer trainer, Attempt attempt, BooleanSupplier stop) {
        attempt.startTraining(trainer.decayEnd());
        boolean last = false;
        while (!last) {
            float loss = trainer.trainStep(data);
            attempt.stepped(trainer.step(), loss);
            long step = attempt.step;
            last = isLastStep(attempt);
            double attemptSeconds = attempt.secondsSoFar();
            boolean stopping = !last && stop.getAsBoolean();
            // A quality measurement takes seconds to minutes: a run about to stop skips it.
            boolean measure = !stopping && attempt.probe != null && (step % plan.qualityEvery() == 0 || last);
            if (step % plan.progressEvery() == 0 || last || measure) {
                reportProgress(trainer, attempt, measure);
                if (!last) {
                    fitDecayToTimeBox(trainer, attempt, attemptSeconds);
                }
            }
            if (step % plan.gridEvery() == 0 || last) {
                storeGrid(trainer, step);
                storeLossPlot(attempt.history);
            }
            if (step % plan.checkpointEvery() == 0 || last || stopping) {
                // A run that stops here (cancelled, or paused for another owner) publishes nothing.
                saveCheckpoint(trainer, attempt, last, attempt.secondsBefore + attemptSeconds, !stopping);
                if (stopping) {
                    storeLossPlot(attempt.history); // the curve up to the pause, as a finished run leaves it
                    LOG.infof("run %s stopped at step %d with a checkpoint", plan.runId(), step);
                    return attempt.checkpoint;
                }
            }
        }
        return finish(trainer, attempt);
    }

    /** Whether the step just taken is the run's last: its final step, or the first past its time box. */
    private boolean isLastStep(Attempt attempt) {
        if (attempt.step >= plan.totalSteps()) {
            return true;
        }
        if (attempt.limit.reached()) {
            LOG.infof(
                    "run %s reached its time limit at step %d of %d: it ends here",
                    plan.runId(), attempt.step, plan.totalSteps());
            return true;
        }
        return false;
    }

    /**
     * Logs and reports the progress since the last report (with a quality measurement when
     * {@code measure}), adds it to the loss curve and starts the next window.
     */
    private void reportProgress(DiffusionTrainer trainer, Attempt attempt, boolean measure) {
        double seconds = (System.nanoTime() - attempt.windowStart) / 1e9;
        double imagesPerSecond = attempt.windowSteps * plan.settings().batchSize() / Math.max(seconds, 1e-9);
        // A time box ends the run sooner than its steps would: the ETA is whichever comes first.
        double eta = Math.min(
                Math.max(attempt.limit.secondsLeft(), 0),
                (plan.totalSteps() - attempt.step) * plan.settings().batchSize() / Math.max(imagesPerSecond, 1e-9));
        Map<String, Double> quality = measure ? measureQuality(trainer, attempt.probe) : Map.of();
        RunProgress progress =
                new RunProgress(attempt.step, plan.totalSteps(), attempt.smoothedLoss, imagesPerSecond, eta, quality);
        LOG.info(progress.line());
        listener.progress(progress);
        attempt.history.add(new LossPlot.Point(attempt.step, attempt.smoothedLoss));
        attempt.windowStart = System.nanoTime();
        attempt.windowSteps = 0;
    }

    /** A time-boxed run with a decay refits the decay's end to the steps its remaining time allows. */
    private void fitDecayToTimeBox(DiffusionTrainer trainer, Attempt attempt, double attemptSeconds) {
        if (attempt.limit.isSet() && plan.settings().decaySteps() > 0) {
            attempt.loggedDecayEnd = fitDecay(
                    trainer,
                    attempt.step - attempt.firstStep,
                    attemptSeconds,
                    attempt.limit.secondsLeft(),
                    attempt.loggedDecayEnd);
        }
    }

    /**
     * Saves a checkpoint ({@code last}: the run's final one) recording {@code trainingSeconds}, reports
     * it, and publishes a model version every {@code exportEvery} checkpoints before the last (when
     * {@code mayExport}).
     */
    private void saveCheckpoint(
            DiffusionTrainer trainer, Attempt attempt, boolean last, double trainingSeconds, boolean mayExport) {
        attempt.checkpoint = checkpoints.save(plan.runId(), trainer, last, trainingSeconds, retention, fence);
        listener.checkpointSaved(attempt.step, attempt.checkpoint);
        attempt.checkpointsSaved++;
        if (mayExport
                && !last
                && plan.exportEvery() > 0
                && attempt.checkpointsSaved % plan.exportEvery() == 0
                && !attempt.stop.getAsBoolean()) {
            // A candidate only: the gate judges the run's final export.
            publish(trainer, attempt.smoothedLoss, null);
        }
    }

    /**
     * Publishes the final weights through the quality gate and reports the run as completed; returns its
     * last checkpoint.
     */
    private ObjectRef finish(DiffusionTrainer trainer, Attempt attempt) {
        // A checkpoint published already (by exportEvery, or an attempt that died before reporting) keeps
        // its version: publishing it again would make a second version of the same weights.
        Optional<CheckpointStore.Published> published = publisher == null ? Optional.empty() : published(attempt.step);
        String version = published.isPresent()
                ? published.get().version()
                : publish(trainer, attempt.smoothedLoss, gate(attempt.probe));
        listener.completed(attempt.step, attempt.smoothedLoss, attempt.checkpoint, version);
        return attempt.checkpoint;
    }

    /** The version published from the run's checkpoint of {@code step}; empty when none (or unreadable). */
    private Optional<CheckpointStore.Published> published(long step) {
        try {
            return checkpoints.published(plan.runId(), step);
        } catch (StorageException | InvalidPayloadException e) {
            LOG.warnf("run %s: whether step %d was published is unknown (%s)", plan.runId(), step, e.getMessage());
            return Optional.empty();
        }
    }

    /** The run's quality probe when it asks for measurements and the data set has labels; null otherwise. */
    private QualityProbe qualityProbe() {
        if (plan.qualityEvery() == 0) {
            return null;
        }
        try {
            return QualityProbe.train(
                    data,
                    plan.qualitySamples(),
                    plan.settings().horizontalFlip(),
                    device,
                    plan.settings().seed());
        } catch (IllegalArgumentException e) {
            LOG.warnf("run %s: no quality measurements: %s", plan.runId(), e.getMessage());
            return null;
        }
    }

    /** Samples with the EMA weights (the default few-step sampler, a fixed seed) and scores them. */
    private Map<String, Double> measureQuality(DiffusionTrainer trainer, QualityProbe probe) {
        int channels = plan.settings().architecture().imageChannels();
        int size = plan.settings().architecture().imageSize();
        SamplerKind kind = SamplingRequest.DEFAULT_SAMPLER;
        DiffusionNetwork network = trainer.network();
        float[][] samples = network.withEmaWeights(() -> ReverseProcess.sample(
                network.denoiser(),
                () -> Schedulers.create(plan.settings().diffusion(), SchedulerSettings.of(kind)),
                probe.samples(),
                channels * size * size,
                QUALITY_SEED,
                0));
        QualityReport report = probe.measure(samples);
        lastQuality = report.metrics();
        return lastQuality;
    }

    /** Refits the decay's end to the time box; returns the end last logged (logged when it moved 2 %). */
    private long fitDecay(
            DiffusionTrainer trainer,
            long stepsThisAttempt,
            double secondsThisAttempt,
            double secondsLeft,
            long loggedDecayEnd) {
        long projected =
                TimeBoxedDecay.projectedLastStep(trainer.step(), stepsThisAttempt, secondsThisAttempt, secondsLeft);
        if (projected < 0) {
            return loggedDecayEnd;
        }
        trainer.fitDecayEnd(projected);
        if (Math.abs(trainer.decayEnd() - loggedDecayEnd) < 0.02 * loggedDecayEnd) {
            return loggedDecayEnd;
        }
        LOG.infof(
                "run %s: learning-rate decay fitted to the time box, floor at step %d (planned %d; %.0f s left)",
                plan.runId(), trainer.decayEnd(), plan.settings().decaySteps(), secondsLeft);
        return trainer.decayEnd();
    }

    /**
     * The quality gate of the final export: the candidate and production sampled from the noises of the
     * in-run measurements and scored on the run's quality probe, or, without one (no labels, no
     * {@code qualityEvery}), on a pixel probe of the run's images; as many samples as its measurements take.
     */
    private ModelPublisher.Gate gate(QualityProbe runProbe) {
        if (publisher == null) {
            return null; // nothing is published, so nothing is compared
        }
        return new ProductionComparison(
                store,
                publisher.ownSignatures(),
                () -> runProbe != null
                        ? SampleProbe.of(runProbe)
                        : PixelProbe.of(
                                data, plan.qualitySamples(), plan.settings().seed()),
                QUALITY_SEED);
    }

    /**
     * The version published from the trainer's current weights (through {@code gate}; null: none), or
     * null without a publisher.
     */
    private String publish(DiffusionTrainer trainer, double smoothedLoss, ModelPublisher.Gate gate) {
        if (publisher == null) {
            return null;
        }
        PublishRights.require(store, plan.modelName(), plan.runId(), plan.owner());
        Map<String, Double> metrics = new LinkedHashMap<>(lastQuality);
        if (Double.isFinite(smoothedLoss)) {
            metrics.put("train_loss", smoothedLoss);
        }
        return publisher
                .publish(
                        trainer.network(),
                        null,
                        new ModelPublisher.Request(plan.modelName(), plan.runId(), true, metrics, plan.owner()),
                        gate)
                .version();
    }

    /** The preview grid of {@code step}; best effort: a failed write is logged, the run goes on. */
    private void storeGrid(DiffusionTrainer trainer, long step) {
        int channels = plan.settings().architecture().imageChannels();
        int size = plan.settings().architecture().imageSize();
        DiffusionNetwork network = trainer.network();
        byte[] png = network.withEmaWeights(
                () -> PreviewGrid.png(network.denoiser(), plan.settings().diffusion(), channels, size));
        bestEffort("the grid of step " + step, plan.runId() + "/samples/step-" + step + ".png", png);
    }

    /** The loss curve so far; best effort, as the grid. */
    private void storeLossPlot(List<LossPlot.Point> history) {
        byte[] png = ImageEncoding.png(LossPlot.draw(history, 480, 240));
        bestEffort("the loss curve", plan.runId() + "/loss.png", png);
    }

    /** Writes a picture for people to look at: it must not end a run whose checkpoints are safe. */
    private void bestEffort(String what, String key, byte[] png) {
        try {
            store.put(Buckets.CHECKPOINTS, key, png, "image/png");
        } catch (StorageException e) {
            LOG.warnf("run %s: %s was not stored (%s); the run goes on", plan.runId(), what, e.getMessage());
        }
    }

    /**
     * What one call of {@link #run} has done so far: where the run stands, its smoothed loss and loss
     * curve, the current throughput window, its checkpoints, and the time it has spent.
     */
    private static final class Attempt {

        /** When this attempt started, on {@link System#nanoTime()}. */
        final long startNanos;
        /** Says when the attempt is to pause. */
        final BooleanSupplier stop;
        /** Training seconds of the run's earlier attempts (from its checkpoint). */
        double secondsBefore;
        /** The time box, less what the earlier attempts spent. */
        TimeLimit limit;
        /** Null without quality measurements; closed when the attempt ends. */
        QualityProbe probe;

        long step;
        /** The step this attempt's training started from. */
        long firstStep;
        /** Exponential moving average of the finite step losses; NaN before the first. */
        double smoothedLoss = Double.NaN;

        final List<LossPlot.Point> history = new ArrayList<>();
        long windowStart;
        long windowSteps;
        ObjectRef checkpoint;
        int checkpointsSaved;
        /** The decay end last logged by {@link #fitDecay}. */
        long loggedDecayEnd;

        Attempt(long startNanos, BooleanSupplier stop) {
            this.startNanos = startNanos;
            this.stop = stop;
        }

        void startTraining(long decayEnd) {
            firstStep = step;
            loggedDecayEnd = decayEnd;
            windowStart = System.nanoTime();
        }

        /** Records an optimizer step: the step reached and its loss, of which only finite ones are smoothed. */
        void stepped(long reached, float loss) {
            step = reached;
            windowSteps++;
            if (Float.isFinite(loss)) {
                smoothedLoss = Double.isNaN(smoothedLoss) ? loss : 0.98 * smoothedLoss + 0.02 * loss;
            }
        }

        double secondsSoFar() {
            return (System.nanoTime() - startNanos) / 1e9;
        }
    }
}
