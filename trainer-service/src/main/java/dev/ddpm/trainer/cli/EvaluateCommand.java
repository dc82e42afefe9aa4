package dev.ddpm.trainer.cli;

import ai.djl.Device;
import dev.ddpm.core.diffusion.ReverseProcess;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import dev.ddpm.trainer.eval.EvaluationResult;
import dev.ddpm.trainer.eval.LabelledEvaluation;
import dev.ddpm.trainer.eval.MnistEvaluation;
import dev.ddpm.trainer.eval.SampleSource;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code evaluate}: the quality of a run's samples on MNIST ({@link MnistEvaluation}) or on any
 * labelled data set ({@link LabelledEvaluation}), drawn as the sampler and guidance options say.
 */
@Command(
        name = "evaluate",
        sortOptions = false,
        description = {
            "The quality of the run's samples: FLD beside the real-vs-real floor, the share of confidently "
                    + "recognised images and the class histogram.",
            "With --mnist the feature classifier is trained once on DIR and cached there as "
                    + MnistEvaluation.CLASSIFIER_CACHE + "; with --data (emoji, CIFAR-10, IDX with labels, a "
                    + "folder per class) it trains on 80 %% of the set, the metric compares with the other 20 %% "
                    + "(so at most a tenth of the set is sampled), plus the memorisation check."
        })
final class EvaluateCommand implements Runnable {

    @Spec
    private CommandSpec spec;

    @Option(names = "--run", paramLabel = "ID", required = true, description = "the run")
    private String run;

    @ArgGroup(multiplicity = "1")
    private Reference reference;

    /** What the samples are measured against: MNIST or another labelled data set, one of them. */
    static final class Reference {
        @Option(
                names = "--mnist",
                paramLabel = "DIR",
                required = true,
                description = "the folder of MNIST's four IDX files (see scripts/fetch-mnist.sh)")
        private Path mnist;

        @Option(names = "--data", paramLabel = "PATH", required = true, description = "a labelled data set")
        private Path data;
    }

    @Option(
            names = "--samples",
            paramLabel = "N",
            description = "samples drawn (default: " + MnistEvaluation.DEFAULT_SAMPLES + " with --mnist, "
                    + LabelledEvaluation.DEFAULT_SAMPLES + " with --data)")
    private Integer samples;

    @Option(
            names = "--weights",
            paramLabel = "WEIGHTS",
            defaultValue = "ema",
            converter = WireNames.WeightChoices.class,
            completionCandidates = WireNames.WeightChoices.class,
            description = "${COMPLETION-CANDIDATES}: the weights' moving average or the trained weights "
                    + "(default: ${DEFAULT-VALUE})")
    private WireNames.Weights weights;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "seed (default: ${DEFAULT-VALUE})")
    private long seed;

    @Option(
            names = "--epochs",
            paramLabel = "N",
            defaultValue = "" + MnistEvaluation.DEFAULT_EPOCHS,
            description = "epochs of the MNIST classifier's one training (default: ${DEFAULT-VALUE})")
    private int epochs;

    @Mixin
    private DeviceOption device;

    @Mixin
    private SamplerOptions sampler;

    @Mixin
    private GuidanceOptions guidanceOptions;

    @Mixin
    private Connections connections;

    @Override
    public void run() {
        sampler.check();
        guidanceOptions.check();
        Device chosen = device.select();
        PrintWriter out = spec.commandLine().getOut();
        try (ArtifactStore store = connections.store()) {
            CheckpointStore checkpoints = new CheckpointStore(store);
            SampleSource source = draw(checkpoints, chosen);
            EvaluationResult result = reference.data != null
                    ? LabelledEvaluation.evaluate(
                            checkpoints,
                            run,
                            chosen,
                            reference.data,
                            samples == null ? LabelledEvaluation.DEFAULT_SAMPLES : samples,
                            seed,
                            source)
                    : MnistEvaluation.evaluate(
                            checkpoints,
                            run,
                            chosen,
                            reference.mnist,
                            samples == null ? MnistEvaluation.DEFAULT_SAMPLES : samples,
                            epochs,
                            seed,
                            source,
                            out::println);
            out.println(result);
        }
    }

    /** The samples as the options ask: the chosen weights, sampler and guidance. */
    private SampleSource draw(CheckpointStore checkpoints, Device device) {
        boolean ema = weights == WireNames.Weights.EMA;
        return (network, count, noiseSeed) -> {
            int dimension = network.architecture().imageChannels()
                    * network.architecture().imageSize()
                    * network.architecture().imageSize();
            try (Guidance guidance = guidanceOptions.open(run, network, checkpoints, device)) {
                float[][] images = guidance.withWeights(
                        ema,
                        network,
                        () -> ReverseProcess.sample(
                                guidance.denoiser(network),
                                sampler.schedulers(network.diffusion()),
                                count,
                                dimension,
                                noiseSeed,
                                0));
                return new SampleSource.Drawn(
                        images,
                        weights.name().toLowerCase(Locale.ROOT) + " weights, "
                                + sampler.description(network.diffusion()) + guidance.description());
            }
        };
    }
}
