package dev.ddpm.trainer.cli;

import dev.ddpm.core.image.ImageEncoding;
import dev.ddpm.core.model.BetaSchedule;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.trainer.data.DatasetReader;
import dev.ddpm.trainer.data.InMemoryImageSet;
import dev.ddpm.trainer.eval.ForwardStrip;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** {@code forward-strip}: one data set image at chosen timesteps of q(x_t | x_0) (Ho et al. eq. 4). */
@Command(
        name = "forward-strip",
        sortOptions = false,
        description = "One image of the data set noised by the forward process at those timesteps, as a PNG strip.")
final class ForwardStripCommand implements Runnable {

    @Spec
    private CommandSpec spec;

    @Option(names = "--data", paramLabel = "PATH", required = true, description = "the data set")
    private Path data;

    @Option(names = "--out", paramLabel = "FILE", required = true, description = "where the PNG strip is written")
    private Path out;

    @Option(
            names = "--index",
            paramLabel = "N",
            defaultValue = "0",
            description = "which image of the data set (default: ${DEFAULT-VALUE})")
    private int index;

    @Option(
            names = "--timesteps",
            paramLabel = "T",
            split = ",",
            defaultValue = "0,50,100,200,300,500,700,999",
            description = "the timesteps shown (default: ${DEFAULT-VALUE})")
    private List<Integer> timesteps;

    @Option(
            names = "--schedule",
            paramLabel = "SCHEDULE",
            defaultValue = "linear",
            converter = WireNames.Schedules.class,
            completionCandidates = WireNames.Schedules.class,
            description = "${COMPLETION-CANDIDATES}: the beta schedule (default: ${DEFAULT-VALUE})")
    private BetaSchedule schedule;

    @Option(
            names = "--size",
            paramLabel = "PIXELS",
            defaultValue = "32",
            description = "the image's side once read (default: ${DEFAULT-VALUE})")
    private int size;

    @Option(
            names = "--seed",
            paramLabel = "N",
            defaultValue = "0",
            description = "seed of the noise (default: ${DEFAULT-VALUE})")
    private long seed;

    @Override
    public void run() {
        InMemoryImageSet images = new DatasetReader(3, size).read(data);
        if (index < 0 || index >= images.size()) {
            throw new IllegalArgumentException("--index must be in 0.." + (images.size() - 1) + ", was " + index);
        }
        DiffusionConfig diffusion = DiffusionConfig.builder().schedule(schedule).build();
        byte[] png = ImageEncoding.png(ForwardStrip.draw(images.image(index), 3, size, diffusion, timesteps, seed));
        try {
            Files.write(out, png);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + out + ": " + e.getMessage(), e);
        }
        spec.commandLine()
                .getOut()
                .printf(
                        "image %d of %s at t = %s (%s schedule) written to %s%n",
                        index, data, timesteps, diffusion.schedule().name().toLowerCase(Locale.ROOT), out);
    }
}
