package dev.ddpm.trainer.cli;

import ai.djl.Device;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import dev.ddpm.trainer.train.DiffusionNetwork;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The autoguidance options of {@code evaluate}, {@code sample-grid} and {@code export}
 * ({@link Guidance}): a run's newest checkpoint guided by an earlier checkpoint of the same run, or of
 * another run trained the same way. Without {@code --guidance} (or with 1) nothing is loaded and the
 * model samples alone.
 */
final class GuidanceOptions {

    @Spec(Spec.Target.MIXEE)
    private CommandSpec command;

    @Option(
            names = "--guidance",
            paramLabel = "W",
            defaultValue = "1",
            description = "autoguidance weight (Karras et al. 2024): extrapolates the model's prediction away from a "
                    + "weaker checkpoint's, D_0 + w (D_1 - D_0); both use the weights chosen "
                    + "(default: ${DEFAULT-VALUE}, none)")
    private double weight;

    @Option(names = "--guide-step", paramLabel = "N", description = "checkpoint step of the guide (needs --guidance)")
    private Long guideStep;

    @Option(names = "--guide-run", paramLabel = "ID", description = "run of the guide (default: the same run)")
    private String guideRun;

    /** Refuses a half-given or impossible guidance before any checkpoint is read. */
    void check() {
        if (!(weight >= 1) || Double.isInfinite(weight)) {
            throw usage("--guidance must be a number >= 1 (1 = no guidance), was " + weight);
        }
        if (weight == 1 && (guideStep != null || guideRun != null)) {
            throw usage("--guide-step and --guide-run need --guidance above 1");
        }
        if (weight > 1 && guideStep == null) {
            throw usage("--guidance needs --guide-step: the checkpoint step of the guide "
                    + "(an earlier, weaker checkpoint of the run, or of --guide-run)");
        }
    }

    /** The guidance the options ask for around {@code model}, the guide loaded (none without guidance). */
    Guidance open(String run, DiffusionNetwork model, CheckpointStore checkpoints, Device device) {
        check();
        return weight == 1
                ? Guidance.NONE
                : Guidance.load(weight, guideRun == null ? run : guideRun, guideStep, model, checkpoints, device);
    }

    private ParameterException usage(String message) {
        return new ParameterException(command.commandLine(), message);
    }
}
