package dev.ddpm.trainer.cli;

import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.model.BetaSchedule;
import dev.ddpm.core.model.LearningRateDecay;
import dev.ddpm.core.model.PredictionType;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code train} and {@code request-training} make the one {@link TrainingRequest}: an option left out
 * means what the request's field left out means; a word-valued option refuses a typo with its choices,
 * never reading it as the default; the time limits are checked before anything starts.
 */
class TrainingOptionsTest {

    private static TrainingRequest train(String... options) {
        return ((TrainCommand) CliRun.parsed(concat("train", options)).getCommand()).request();
    }

    private static TrainingRequest requestTraining(String... options) {
        return ((RequestTrainingCommand)
                        CliRun.parsed(concat("request-training", options)).getCommand())
                .request();
    }

    @Test
    void optionsLeftOutTakeTheRequestsDefaults() {
        TrainingRequest request = train("--data", "/data/Digits Set");

        assertThat(request)
                .isEqualTo(TrainingRequest.builder()
                        .dataset("digits-set")
                        .steps(TrainingOptions.DEFAULT_STEPS)
                        .build());
        assertThat(request.modelName()).isEqualTo("digits-set");
        assertThat(request.horizontalFlip()).as("auto: left to the channels").isNull();
        assertThat(requestTraining("--data", "digits"))
                .isEqualTo(TrainingRequest.builder()
                        .dataset("digits")
                        .steps(TrainingOptions.DEFAULT_STEPS)
                        .build());
    }

    @Test
    void everyTrainingOptionSetsItsField() {
        String[] options = {
            "--data",
            "digits",
            "--preset",
            "mnist-28",
            "--steps",
            "2000",
            "--batch",
            "32",
            "--lr",
            "1e-3",
            "--warmup",
            "100",
            "--lr-decay",
            "cosine",
            "--ema",
            "0.99",
            "--seed",
            "7",
            "--schedule",
            "cosine",
            "--prediction",
            "v",
            "--snr-gamma",
            "5",
            "--model",
            "mine",
            "--checkpoint-every",
            "500",
            "--keep-checkpoints",
            "3",
            "--flip",
            "true",
            "--quality-every",
            "250",
            "--max-minutes",
            "30"
        };

        TrainingRequest request = requestTraining(options);

        assertThat(request)
                .isEqualTo(TrainingRequest.builder()
                        .dataset("digits")
                        .preset("mnist-28")
                        .steps(2000)
                        .batchSize(32)
                        .learningRate(1e-3)
                        .warmupSteps(100)
                        .learningRateDecay(LearningRateDecay.COSINE)
                        .emaDecay(0.99)
                        .seed(7L)
                        .schedule(BetaSchedule.COSINE)
                        .predictionType(PredictionType.V)
                        .snrGamma(5.0)
                        .modelName("mine")
                        .checkpointEvery(500)
                        .keepCheckpoints(3)
                        .horizontalFlip(true)
                        .qualityEvery(250)
                        .maxMinutes(30.0)
                        .build());
        assertThat(requestTraining("--data", "d", "--flip", "false").horizontalFlip())
                .isFalse();
        // train's --max-minutes pauses the run here; it is no time box of the request.
        assertThat(train("--data", "d", "--max-minutes", "30").maxMinutes()).isZero();
    }

    @Test
    void aRunIdIsMadeForTheModelUnlessGiven() {
        CommandLine train = CliRun.parsed("train", "--data", "digits", "--model", "mine");
        TrainingOptions options = (TrainingOptions) train.getMixins().get("training");
        TrainingRequest request = ((TrainCommand) train.getCommand()).request();
        assertThat(options.runId(request)).matches("mine-\\d{8}-\\d{6}-[0-9a-f]{12}");

        CommandLine named = CliRun.parsed("train", "--data", "digits", "--run", "run-7");
        assertThat(((TrainingOptions) named.getMixins().get("training")).runId(request))
                .isEqualTo("run-7");
    }

    @Test
    void aWordOutsideTheChoicesIsAUsageErrorNamingThem() {
        CliRun decay = CliRun.of("train", "--data", "/nowhere", "--lr-decay", "cosin");
        assertThat(decay.exitCode()).isEqualTo(2);
        assertThat(decay.err())
                .contains("error: train: Invalid value for option '--lr-decay': must be none or cosine, "
                        + "was 'cosin'");
        assertThat(CliRun.of("request-training", "--data", "d", "--schedule", "quadratic")
                        .err())
                .contains("'--schedule': must be linear or cosine, was 'quadratic'");
        assertThat(CliRun.of("train", "--data", "d", "--prediction", "x0").err())
                .contains("'--prediction': must be epsilon or v, was 'x0'");
        assertThat(CliRun.of("train", "--data", "d", "--flip", "yes").err())
                .contains("'--flip': must be auto, true or false, was 'yes'");
    }

    @Test
    void aValueOutsideTheRequestsBoundsIsAUsageErrorNamingTheOption() {
        CliRun batch = CliRun.of("request-training", "--data", "d", "--batch", "0");
        assertThat(batch.exitCode()).isEqualTo(2);
        assertThat(batch.err()).contains("error: request-training: --batch must be >= 1, was 0");
        assertThat(CliRun.of("request-training", "--data", "d", "--steps", "10", "--warmup", "10")
                        .err())
                .contains("--warmup (10) must be fewer than 'steps' (10)");
    }

    @Test
    void aLimitThatIsNotANumberOfMinutesIsRefusedBeforeAnythingStarts() {
        for (String limit : new String[] {"-1", "NaN", "Infinity", "soon"}) {
            CliRun run = CliRun.of("train", "--data", "/nowhere", "--max-minutes", limit);
            assertThat(run.exitCode()).isEqualTo(2);
            assertThat(run.err())
                    .contains("error: train: Invalid value for option '--max-minutes': must be 0 "
                            + "(no limit) or a number of minutes, was '" + limit + "'");
        }
        assertThat(CliRun.of("train", "--data", "/nowhere", "--time-box", "-2").err())
                .contains("'--time-box': must be 0 (no limit) or a number of minutes, was '-2'");
        assertThat(CliRun.of("request-training", "--data", "d", "--max-minutes", "-5")
                        .err())
                .contains("'--max-minutes': must be 0 (no limit) or a number of minutes, was '-5'");
    }

    @Test
    void pausingAndEndingAtATimeExcludeEachOther() {
        CliRun both = CliRun.of("train", "--data", "/nowhere", "--time-box", "5", "--max-minutes", "5");
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err())
                .contains("error: train: --max-minutes (pause) and --time-box (end there) exclude each other");

        CliRun box = CliRun.of("request-training", "--data", "d", "--time-box", "5");
        assertThat(box.exitCode()).isEqualTo(2);
        assertThat(box.err()).contains("error: request-training: a requested run's time box is --max-minutes");
    }

    private static String[] concat(String command, String... options) {
        String[] all = new String[options.length + 1];
        all[0] = command;
        System.arraycopy(options, 0, all, 1, options.length);
        return all;
    }
}
