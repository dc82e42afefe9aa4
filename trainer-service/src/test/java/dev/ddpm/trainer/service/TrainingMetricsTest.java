package dev.ddpm.trainer.service;

import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.trainer.run.RunListener;
import dev.ddpm.trainer.run.RunProgress;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TrainingMetricsTest {

    @Test
    void gaugesFollowTheRunAndTheListenerStillHearsEverything() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        List<String> heard = new ArrayList<>();
        RunListener inner = new RunListener() {
            @Override
            public void started(long parameterCount, String device, long startStep, long totalSteps) {
                heard.add("started");
            }

            @Override
            public void progress(RunProgress progress) {
                heard.add("progress " + progress.step());
            }

            @Override
            public void checkpointSaved(long step, ObjectRef checkpoint) {
                heard.add("checkpoint " + step);
            }

            @Override
            public void completed(long step, double loss, ObjectRef checkpoint, String modelVersion) {
                heard.add("completed " + step);
            }

            @Override
            public void failed(long step, String reason) {
                heard.add("failed " + step);
            }
        };
        RunListener watched = new TrainingMetrics(meters).watching(inner);
        assertThat(gauge(meters, "ddpm_trainer_active")).isZero();

        watched.started(1000, "cpu()", 0, 100);
        watched.progress(new RunProgress(50, 100, 0.125, 42.0, 10));
        assertThat(gauge(meters, "ddpm_trainer_active")).isEqualTo(1.0);
        assertThat(gauge(meters, "ddpm_trainer_loss")).isEqualTo(0.125);
        assertThat(gauge(meters, "ddpm_trainer_images_per_second")).isEqualTo(42.0);
        assertThat(gauge(meters, "ddpm_trainer_step")).isEqualTo(50.0);

        watched.checkpointSaved(100, null);
        watched.completed(100, 0.1, null, "v1");
        assertThat(gauge(meters, "ddpm_trainer_active")).isZero();
        assertThat(gauge(meters, "ddpm_trainer_loss")).isNaN();
        assertThat(meters.get("ddpm_trainer_runs_total")
                        .tag("outcome", "completed")
                        .counter()
                        .count())
                .isEqualTo(1.0);

        watched.started(1000, "cpu()", 0, 100);
        assertThat(gauge(meters, "ddpm_trainer_loss"))
                .as("no stale loss from the previous run")
                .isNaN();
        watched.failed(3, "diverged");
        assertThat(meters.get("ddpm_trainer_runs_total")
                        .tag("outcome", "failed")
                        .counter()
                        .count())
                .isEqualTo(1.0);
        assertThat(heard)
                .containsExactly("started", "progress 50", "checkpoint 100", "completed 100", "started", "failed 3");
    }

    private static double gauge(SimpleMeterRegistry meters, String name) {
        return meters.get(name).gauge().value();
    }
}
