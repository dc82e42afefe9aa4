package dev.ddpm.trainer.service;

import dev.ddpm.core.events.CheckpointSaved;
import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.TrainingCancelled;
import dev.ddpm.core.events.TrainingCompleted;
import dev.ddpm.core.events.TrainingFailed;
import dev.ddpm.core.events.TrainingProgress;
import dev.ddpm.core.events.TrainingStarted;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.service.messaging.EventSender;
import dev.ddpm.trainer.run.RunListener;
import dev.ddpm.trainer.run.RunPlan;
import dev.ddpm.trainer.run.RunProgress;
import org.jboss.logging.Logger;

/**
 * Reports a run on {@code ddpm.training-events}. Lifecycle events wait for the broker's
 * acknowledgement; progress is sent without waiting (a lost progress event costs nothing, a stalled
 * training loop would). A broker that is away is logged, and training goes on.
 */
final class EventRunListener implements RunListener {

    private static final Logger LOG = Logger.getLogger(EventRunListener.class);

    private final EventSender sender;
    private final String runId;
    private final String modelName;
    private final String dataset;

    EventRunListener(EventSender sender, RunPlan plan) {
        this(sender, plan.runId(), plan.modelName(), plan.dataset());
    }

    /** Reports the run by the names its events carry: also a request refused before it became a plan. */
    EventRunListener(EventSender sender, String runId, String modelName, String dataset) {
        this.sender = sender;
        this.runId = runId;
        this.modelName = modelName;
        this.dataset = dataset;
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
        send(new TrainingCompleted(
                runId, modelName, step, Double.isFinite(loss) ? loss : 0.0, checkpoint.key(), modelVersion));
    }

    @Override
    public void failed(long step, String reason) {
        send(new TrainingFailed(runId, step, reason));
    }

    @Override
    public void cancelled(long step, String requestedBy) {
        send(new TrainingCancelled(runId, step, requestedBy));
    }

    private void send(EventData data) {
        try {
            sender.sendAndWait(data);
        } catch (RuntimeException e) {
            LOG.warnf("could not publish %s for run %s: %s", data.getClass().getSimpleName(), runId, e.getMessage());
        }
    }
}
