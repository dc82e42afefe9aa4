package dev.ddpm.trainer.service;

import dev.ddpm.core.events.CheckpointSaved;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.TrainingProgress;
import dev.ddpm.core.events.TrainingStarted;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.service.messaging.EventSender;
import dev.ddpm.trainer.run.OutcomeRecord;
import dev.ddpm.trainer.run.RunListener;
import dev.ddpm.trainer.run.RunOutcomes;
import dev.ddpm.trainer.run.RunProgress;
import org.jboss.logging.Logger;

import java.time.Instant;

/**
 * Reports a run on {@code ddpm.training-events}. Lifecycle events wait for the broker's
 * acknowledgement; progress is sent without waiting (a lost progress event costs nothing, a stalled
 * training loop would). A broker that is away for a started or checkpoint event is logged, and training
 * goes on. The run's end is different: it is first stored as {@code outcome.json}, then its event is
 * retried until the broker acknowledges it ({@link TerminalEvents}); {@link #settled()} says whether both
 * happened, and only then may the request be acknowledged. The first end reported is the run's.
 */
final class EventRunListener implements RunListener {

    private static final Logger LOG = Logger.getLogger(EventRunListener.class);

    private final EventSender sender;
    private final String runId;
    private final String modelName;
    private final String dataset;
    private final String requestedBy;
    private final RunOutcomes outcomes;
    private final TerminalEvents terminal;
    private boolean ended;
    private boolean settled;

    /**
     * Reports the run by the names its events carry: also a request refused before it became a plan.
     *
     * @param requestedBy who requested the run, recorded in its outcome
     * @param outcomes    where its end is stored before it is announced
     * @param terminal    sends the event of its end until it is acknowledged
     */
    EventRunListener(
            EventSender sender,
            String runId,
            String modelName,
            String dataset,
            String requestedBy,
            RunOutcomes outcomes,
            TerminalEvents terminal) {
        this.sender = sender;
        this.runId = runId;
        this.modelName = modelName;
        this.dataset = dataset;
        this.requestedBy = requestedBy;
        this.outcomes = outcomes;
        this.terminal = terminal;
    }

    /** Whether the run's end is stored and its event acknowledged: its request may be acknowledged. */
    boolean settled() {
        return settled;
    }

    @Override
    public void started(long parameterCount, String device, long startStep, long totalSteps) {
        send(new TrainingStarted(runId, modelName, dataset, device, parameterCount, startStep, totalSteps));
    }

    @Override
    public void progress(RunProgress p) {
        if (Double.isFinite(p.smoothedLoss())) {
            sender.send(new TrainingProgress(
                            runId,
                            p.step(),
                            p.totalSteps(),
                            p.smoothedLoss(),
                            p.imagesPerSecond(),
                            p.etaSeconds(),
                            p.quality()))
                    .subscribe()
                    .with(sent -> {}, e -> LOG.debugf("progress of run %s not sent: %s", runId, e.getMessage()));
        }
    }

    @Override
    public void checkpointSaved(long step, ObjectRef checkpoint) {
        send(new CheckpointSaved(runId, step, checkpoint.key(), checkpoint.sha256()));
    }

    @Override
    public void completed(long step, double loss, ObjectRef checkpoint, String modelVersion) {
        end(new OutcomeRecord(
                OutcomeRecord.State.COMPLETED,
                runId,
                modelName,
                step,
                loss,
                checkpoint.key(),
                modelVersion,
                null,
                requestedBy,
                Instant.now()));
    }

    @Override
    public void failed(long step, String reason) {
        end(new OutcomeRecord(
                OutcomeRecord.State.FAILED,
                runId,
                modelName,
                step,
                null,
                null,
                null,
                reason,
                requestedBy,
                Instant.now()));
    }

    @Override
    public void cancelled(long step, String cancelledBy) {
        end(new OutcomeRecord(
                OutcomeRecord.State.CANCELLED,
                runId,
                modelName,
                step,
                null,
                null,
                null,
                null,
                cancelledBy,
                Instant.now()));
    }

    /**
     * Stores the run's end, then announces it; a failure to store it announces nothing (the request
     * stays unacknowledged and its redelivery finishes the run), so no event ever reports an end that
     * a redelivery could contradict.
     */
    private void end(OutcomeRecord outcome) {
        if (ended) {
            LOG.debugf("run %s: %s after its end ignored", runId, outcome.state());
            return;
        }
        ended = true;
        OutcomeRecord stored;
        try {
            stored = outcomes.write(outcome);
        } catch (RuntimeException e) {
            LOG.errorf(
                    "run %s: its outcome (%s) could not be stored (%s); its request stays unacknowledged",
                    runId, outcome.state(), e.getMessage());
            return;
        }
        if (stored.state() != outcome.state()) {
            LOG.warnf(
                    "run %s ended %s by another attempt first; that end stands, not %s",
                    runId, stored.state(), outcome.state());
        }
        settled = terminal.deliver(stored.event());
    }

    /** Announces the end a run has stored already (its request came again); whether it was acknowledged. */
    boolean announceAgain(OutcomeRecord outcome) {
        ended = true;
        settled = terminal.deliver(outcome.event());
        return settled;
    }

    private void send(EventData data) {
        try {
            sender.sendAndWait(data);
        } catch (RuntimeException e) {
            LOG.warnf("could not publish %s for run %s: %s", data.getClass().getSimpleName(), runId, e.getMessage());
        }
    }
}
