package dev.ddpm.trainer.cli;

import dev.ddpm.core.api.RunIds;
import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.model.BetaSchedule;
import dev.ddpm.core.model.LearningRateDecay;
import dev.ddpm.core.model.PredictionType;
import dev.ddpm.trainer.model.UNetPresets;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

import java.lang.reflect.Field;
import java.util.Iterator;

/**
 * The options of {@code train} and {@code request-training} that make the one {@link TrainingRequest}
 * the service takes. An option left out is left out of the request too, so it means what a request
 * that leaves the field out means (the defaults named here are the request's).
 */
final class TrainingOptions {

    /** Steps a run trains for unless {@code --steps} says otherwise (a request must name them). */
    static final long DEFAULT_STEPS = 1000;

    @Spec(Spec.Target.MIXEE)
    private CommandSpec command;

    @Option(
            names = "--preset",
            paramLabel = "PRESET",
            completionCandidates = Presets.class,
            description =
                    "architecture preset: ${COMPLETION-CANDIDATES} (default: " + TrainingRequest.DEFAULT_PRESET + ")")
    private String preset;

    @Option(
            names = "--steps",
            paramLabel = "N",
            defaultValue = "" + DEFAULT_STEPS,
            description = "optimiser steps in all, resumed ones included (default: ${DEFAULT-VALUE})")
    private long steps;

    @Option(
            names = "--batch",
            paramLabel = "N",
            description = "images per step (default: " + TrainingRequest.DEFAULT_BATCH_SIZE + ")")
    private Integer batchSize;

    @Option(
            names = "--lr",
            paramLabel = "LR",
            description = "AdamW peak learning rate (default: " + TrainingRequest.DEFAULT_LEARNING_RATE + ")")
    private Double learningRate;

    @Option(names = "--warmup", paramLabel = "N", description = "linear learning-rate warm-up steps (default: 0)")
    private Integer warmupSteps;

    @Option(
            names = "--lr-decay",
            paramLabel = "DECAY",
            converter = WireNames.Decays.class,
            completionCandidates = WireNames.Decays.class,
            description = "${COMPLETION-CANDIDATES}: constant after the warm-up, or a half-cosine down to a tenth "
                    + "at the last step (default: none)")
    private LearningRateDecay learningRateDecay;

    @Option(
            names = "--ema",
            paramLabel = "DECAY",
            description = "decay of the weights' moving average (default: " + TrainingRequest.DEFAULT_EMA_DECAY + ")")
    private Double emaDecay;

    @Option(names = "--seed", paramLabel = "N", description = "seed of every random choice of the run (default: 0)")
    private Long seed;

    @Option(
            names = "--schedule",
            paramLabel = "SCHEDULE",
            converter = WireNames.Schedules.class,
            completionCandidates = WireNames.Schedules.class,
            description = "${COMPLETION-CANDIDATES}: the beta schedule (default: linear)")
    private BetaSchedule schedule;

    @Option(
            names = "--prediction",
            paramLabel = "TYPE",
            converter = WireNames.Predictions.class,
            completionCandidates = WireNames.Predictions.class,
            description = "${COMPLETION-CANDIDATES}: what the network predicts (default: epsilon)")
    private PredictionType predictionType;

    @Option(
            names = "--snr-gamma",
            paramLabel = "GAMMA",
            description = "Min-SNR loss weighting's gamma, 5 in its paper (default: 0, unweighted)")
    private Double snrGamma;

    @Option(
            names = "--model",
            paramLabel = "NAME",
            description = "name the model is published under " + "(default: the data set's)")
    private String modelName;

    @Option(
            names = "--checkpoint-every",
            paramLabel = "N",
            description = "steps between checkpoints (default: " + TrainingRequest.DEFAULT_CHECKPOINT_EVERY + ")")
    private Integer checkpointEvery;

    @Option(
            names = "--keep-checkpoints",
            paramLabel = "N",
            description = "newest checkpoints kept beside the " + "doubling ladder (default: "
                    + TrainingRequest.DEFAULT_KEPT_CHECKPOINTS + ")")
    private Integer keepCheckpoints;

    @Option(
            names = "--flip",
            paramLabel = "FLIP",
            defaultValue = "auto",
            converter = WireNames.FlipChoices.class,
            completionCandidates = WireNames.FlipChoices.class,
            description = "${COMPLETION-CANDIDATES}: mirror training images left-right at random "
                    + "(default: ${DEFAULT-VALUE}: colour images only)")
    private WireNames.Flip flip;

    @Option(
            names = "--quality-every",
            paramLabel = "N",
            description = "steps between quality measurements (FLD, "
                    + "recognisable share, memorisation) on a labelled data set (default: 0, none)")
    private Integer qualityEvery;

    @Option(
            names = "--run",
            paramLabel = "ID",
            description = "run id; a run with checkpoints resumes from the newest "
                    + "(default: a new id from the model name and the time)")
    private String runId;

    /**
     * The request the options describe.
     *
     * @param maxMinutes the request's time limit (0: none)
     * @throws ParameterException naming the value that breaks one of the request's bounds or rules
     */
    TrainingRequest request(String dataset, double maxMinutes) {
        try {
            return TrainingRequest.builder()
                    .dataset(dataset)
                    .modelName(modelName)
                    .preset(preset)
                    .schedule(schedule)
                    .predictionType(predictionType)
                    .steps(steps)
                    .batchSize(batchSize)
                    .learningRate(learningRate)
                    .warmupSteps(warmupSteps)
                    .emaDecay(emaDecay)
                    .seed(seed)
                    .checkpointEvery(checkpointEvery)
                    .learningRateDecay(learningRateDecay)
                    .snrGamma(snrGamma)
                    .maxMinutes(maxMinutes)
                    .keepCheckpoints(keepCheckpoints)
                    .horizontalFlip(flip.horizontalFlip())
                    .qualityEvery(qualityEvery)
                    .build();
        } catch (InvalidPayloadException e) {
            throw new ParameterException(command.commandLine(), inOptionTerms(e), e);
        }
    }

    /** The request's message with its field named as the option that set it ("--batch must be >= 1, was 0"). */
    private String inOptionTerms(InvalidPayloadException e) {
        // The fields here are named as the request's, so the option is found by its field's name.
        return command.options().stream()
                .filter(option -> option.userObject() instanceof Field field
                        && field.getName().equals(e.field()))
                .findFirst()
                .map(option -> e.getMessage().replace("field '" + e.field() + "'", option.longestName()))
                .orElse(e.getMessage());
    }

    /** {@code --run}, or a new run id for the request's model. */
    String runId(TrainingRequest request) {
        return runId != null ? runId : RunIds.next(request.modelName());
    }

    /** The presets the trainer knows, for the help. */
    static final class Presets implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return UNetPresets.names().iterator();
        }
    }

    /**
     * {@code --max-minutes} and {@code --time-box}: 0 for no limit or a number of minutes (a century at
     * most, {@link TrainingRequest#MAX_MINUTES}), refused before anything starts.
     */
    static final class Minutes implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double minutes;
            try {
                minutes = Double.parseDouble(value);
            } catch (NumberFormatException e) {
                minutes = Double.NaN;
            }
            if (!(minutes >= 0) || Double.isInfinite(minutes)) {
                throw new TypeConversionException("must be 0 (no limit) or a number of minutes, was '" + value + "'");
            }
            return Math.min(minutes, TrainingRequest.MAX_MINUTES);
        }
    }
}
