package dev.ddpm.trainer.config;

import dev.ddpm.core.model.LearningRateDecay;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/**
 * Event-driven retraining (prefix {@code trainer.retrain}): what a change to a data set starts.
 * See docs/configuration.md.
 */
@ConfigMapping(prefix = "trainer.retrain")
public interface RetrainConfig {

    enum Policy {
        /** Data set changes start nothing. */
        OFF,
        /** A new run from scratch, named after the data set. */
        SCRATCH,
        /** Continue from the newest checkpoint of the model's last run for {@code steps} more steps. */
        FINE_TUNE
    }

    @WithDefault("off")
    Policy policy();

    /** Quiet time after the last change before a run starts: a burst of uploads starts one run. */
    @WithDefault("30s")
    Duration debounce();

    /**
     * The least time between two retrainings of one model, counted from when the earlier was requested
     * (0: no interval); a model never has two retraining runs that have not ended, whatever this is.
     */
    @WithDefault("1h")
    Duration minInterval();

    @WithDefault("tiny")
    String preset();

    @WithDefault("2000")
    long steps();

    @WithDefault("32")
    int batchSize();

    @WithDefault("2e-4")
    double learningRate();

    @WithDefault("1000")
    int checkpointEvery();

    @WithDefault("0")
    long seed();

    /** none or cosine (TrainingRequest.learningRateDecay); another value fails the start. */
    @WithDefault("none")
    LearningRateDecay learningRateDecay();

    /** 0: the simple loss; 5: Min-SNR-5 weighting. */
    @WithDefault("0")
    double snrGamma();

    /** 0: no limit; else the run ends after this many minutes of training and publishes what it has. */
    @WithDefault("0")
    double maxMinutes();

    /** The newest checkpoints a run keeps beside the doubling ladder (TrainingRequest.keepCheckpoints). */
    @WithDefault("5")
    int keepCheckpoints();
}
