package dev.ddpm.trainer.service;

import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.trainer.run.RunListener;
import dev.ddpm.trainer.run.RunProgress;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;

/**
 * The trainer's Prometheus metrics, fed by the run it is executing: {@code ddpm_trainer_loss}
 * (smoothed), {@code ddpm_trainer_images_per_second}, {@code ddpm_trainer_step},
 * {@code ddpm_trainer_active} (1 while a run trains) and {@code ddpm_trainer_runs_total{outcome}}.
 * Gauges carry no run label: one pod trains one run at a time, and a label per run would leave a
 * series behind for every run ever trained.
 */
@Singleton
public class TrainingMetrics {

    private final MeterRegistry meters;
    private final AtomicReference<RunProgress> last = new AtomicReference<>();
    private volatile boolean active;

    public TrainingMetrics(MeterRegistry meters) {
        this.meters = meters;
        meters.gauge("ddpm_trainer_loss", this, m -> m.read(RunProgress::smoothedLoss));
        meters.gauge("ddpm_trainer_images_per_second", this, m -> m.read(RunProgress::imagesPerSecond));
        meters.gauge("ddpm_trainer_step", this, m -> m.read(p -> p.step()));
        meters.gauge("ddpm_trainer_active", this, m -> m.active ? 1 : 0);
    }

    private double read(ToDoubleFunction<RunProgress> field) {
        RunProgress p = last.get();
        return p == null || !active ? Double.NaN : field.applyAsDouble(p);
    }

    /** {@code listener}, with the metrics following the run it reports. */
    public RunListener watching(RunListener listener) {
        return new RunListener() {
            @Override
            public void started(long parameterCount, String device, long startStep, long totalSteps) {
                last.set(null);
                active = true;
                listener.started(parameterCount, device, startStep, totalSteps);
            }

            @Override
            public void progress(RunProgress progress) {
                last.set(progress);
                listener.progress(progress);
            }

            @Override
            public void checkpointSaved(long step, ObjectRef checkpoint) {
                listener.checkpointSaved(step, checkpoint);
            }

            @Override
            public void completed(long step, double loss, ObjectRef checkpoint, String modelVersion) {
                ended("completed");
                listener.completed(step, loss, checkpoint, modelVersion);
            }

            @Override
            public void failed(long step, String reason) {
                ended("failed");
                listener.failed(step, reason);
            }

            @Override
            public void cancelled(long step, String requestedBy) {
                ended("cancelled");
                listener.cancelled(step, requestedBy);
            }
        };
    }

    private void ended(String outcome) {
        active = false;
        meters.counter("ddpm_trainer_runs_total", "outcome", outcome).increment();
    }
}
