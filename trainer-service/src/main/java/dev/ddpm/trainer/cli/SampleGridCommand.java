package dev.ddpm.trainer.cli;

import ai.djl.Device;
import dev.ddpm.core.diffusion.ReverseProcess;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import dev.ddpm.trainer.eval.PreviewGrid;
import dev.ddpm.trainer.train.DiffusionNetwork;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code sample-grid}: a grid of samples from a run's newest checkpoint (EMA weights), as a PNG. */
@Command(
        name = "sample-grid",
        sortOptions = false,
        description = "Samples from the run's newest checkpoint (EMA weights) into one PNG grid.")
final class SampleGridCommand implements Runnable {

    @Spec
    private CommandSpec spec;

    @Option(names = "--run", paramLabel = "ID", required = true, description = "the run")
    private String run;

    @Option(names = "--out", paramLabel = "FILE", required = true, description = "where the PNG grid is written")
    private Path out;

    @Option(
            names = "--count",
            paramLabel = "N",
            defaultValue = "" + PreviewGrid.IMAGES,
            description = "samples in the grid (default: ${DEFAULT-VALUE})")
    private int count;

    @Option(
            names = "--seed",
            paramLabel = "N",
            defaultValue = "0",
            description = "seed of the samples' noise (default: ${DEFAULT-VALUE})")
    private long seed;

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
        try (ArtifactStore store = connections.store()) {
            CheckpointStore checkpoints = new CheckpointStore(store);
            try (DiffusionNetwork network = checkpoints.restore(run, chosen);
                    Guidance guidance = guidanceOptions.open(run, network, checkpoints, chosen)) {
                int c = network.architecture().imageChannels();
                int size = network.architecture().imageSize();
                float[][] samples = guidance.withWeights(
                        true,
                        network,
                        () -> ReverseProcess.sample(
                                guidance.denoiser(network),
                                sampler.schedulers(network.diffusion()),
                                count,
                                c * size * size,
                                seed,
                                0));
                Files.write(out, PreviewGrid.encode(samples, c, size));
                spec.commandLine()
                        .getOut()
                        .printf(
                                "%d samples of run %s (step %d, %s%s) written to %s%n",
                                count,
                                run,
                                network.step(),
                                sampler.description(network.diffusion()),
                                guidance.description(),
                                out);
            } catch (IOException e) {
                throw new IllegalStateException("cannot write " + out + ": " + e.getMessage(), e);
            }
        }
    }
}
