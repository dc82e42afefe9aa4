package dev.ddpm.trainer.eval;

import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.diffusion.Denoiser;
import dev.ddpm.core.diffusion.ReverseProcess;
import dev.ddpm.core.diffusion.SchedulerSettings;
import dev.ddpm.core.diffusion.Schedulers;
import dev.ddpm.core.image.ImageEncoding;
import dev.ddpm.core.model.DiffusionConfig;

import java.util.List;

/**
 * The 4x4 grid of samples a run stores at each checkpoint and a published model carries
 * ({@code samples.png}): the sampler a request that names none gets ({@link SamplingRequest#DEFAULT_SAMPLER}
 * at its default steps), from one fixed seed, so the grids show what a caller will be served, and those of
 * successive checkpoints and of the model published from them show the same 16 starting noises.
 */
public final class PreviewGrid {

    public static final int IMAGES = 16;
    /** The DDPM paper's arXiv date: any fixed number does. */
    public static final long SEED = 20200619L;

    private PreviewGrid() {}

    /** The grid of what {@code denoiser} makes, as a PNG. */
    public static byte[] png(Denoiser denoiser, DiffusionConfig diffusion, int channels, int size) {
        float[][] samples = ReverseProcess.sample(
                denoiser,
                () -> Schedulers.create(diffusion, SchedulerSettings.of(SamplingRequest.DEFAULT_SAMPLER)),
                IMAGES,
                channels * size * size,
                SEED,
                0);
        return encode(samples, channels, size);
    }

    /** Samples tiled as near a square as their count allows (4 x 4 for 16), 2 pixels apart, as a PNG. */
    public static byte[] encode(float[][] samples, int channels, int size) {
        int columns = (int) Math.ceil(Math.sqrt(samples.length));
        return ImageEncoding.png(ImageEncoding.grid(List.of(samples), channels, size, columns, 2));
    }
}
