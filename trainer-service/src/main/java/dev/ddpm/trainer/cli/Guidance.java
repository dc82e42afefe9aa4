package dev.ddpm.trainer.cli;

import ai.djl.Device;
import dev.ddpm.core.diffusion.Denoiser;
import dev.ddpm.core.diffusion.GuidedDenoiser;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import dev.ddpm.trainer.export.ModelPublisher;
import dev.ddpm.trainer.train.DiffusionNetwork;

import java.util.function.Supplier;

/**
 * Autoguidance ({@link GuidedDenoiser}) of a run's newest checkpoint by a weaker checkpoint, as
 * {@link GuidanceOptions} ask for it; {@link #NONE} samples the model alone.
 */
final class Guidance implements AutoCloseable {

    static final Guidance NONE = new Guidance(1, null, null);

    private final double weight;
    private final DiffusionNetwork guide;
    private final String guideRun;

    private Guidance(double weight, DiffusionNetwork guide, String guideRun) {
        this.weight = weight;
        this.guide = guide;
        this.guideRun = guideRun;
    }

    /**
     * Loads the guide, checked to make the same images with the same diffusion settings as the model
     * (otherwise the two predictions mean different things).
     */
    static Guidance load(
            double weight,
            String guideRun,
            long guideStep,
            DiffusionNetwork model,
            CheckpointStore checkpoints,
            Device device) {
        DiffusionNetwork guide = checkpoints.restore(guideRun, guideStep, device);
        try {
            if (!guide.diffusion().equals(model.diffusion())
                    || guide.architecture().imageChannels()
                            != model.architecture().imageChannels()
                    || guide.architecture().imageSize() != model.architecture().imageSize()) {
                throw new IllegalStateException("the guide (run " + guideRun + ", step " + guide.step() + ": "
                        + guide.diffusion() + ", " + guide.architecture().imageSize() + "px) must share the "
                        + "model's diffusion settings and image shape (" + model.diffusion() + ", "
                        + model.architecture().imageSize() + "px)");
            }
            return new Guidance(weight, guide, guideRun);
        } catch (RuntimeException e) {
            guide.close();
            throw e;
        }
    }

    /** The denoiser to sample with: the model's, or the model's guided by the guide's. */
    Denoiser denoiser(DiffusionNetwork model) {
        return guide == null ? model.denoiser() : new GuidedDenoiser(model.denoiser(), guide.denoiser(), weight);
    }

    /** Runs {@code draw} with both networks' EMA weights in place (or their trained weights). */
    <T> T withWeights(boolean ema, DiffusionNetwork model, Supplier<T> draw) {
        if (!ema) {
            return draw.get();
        }
        return model.withEmaWeights(guide == null ? draw : () -> guide.withEmaWeights(draw));
    }

    /** Empty without guidance; otherwise ", autoguidance w=... by run ... at step ...". */
    String description() {
        return guide == null ? "" : ", autoguidance w=" + weight + " by run " + guideRun + " at step " + guide.step();
    }

    /** The guide for {@code export} to publish beside the model; null without guidance. */
    ModelPublisher.Guide forPublishing() {
        return guide == null ? null : new ModelPublisher.Guide(guide, guideRun, weight);
    }

    @Override
    public void close() {
        if (guide != null) {
            guide.close();
        }
    }
}
