package dev.ddpm.core.diffusion;

/**
 * Autoguidance (Karras et al. 2024, "Guiding a diffusion model with a bad version of itself",
 * eq. 2): the model's prediction extrapolated away from a weaker version of the same model,
 * D_w(x; t) = w D_1(x; t) + (1 - w) D_0(x; t), with D_1 the model and D_0 the guide (for example an
 * earlier checkpoint of the same run, or a smaller model trained on the same data the same way).
 * Where the two agree, the guide changes nothing; where the weaker model is still unsure (a digit's
 * overall shape at high noise), the step is pushed further in the direction the better model learnt.
 * Unlike classifier-free guidance it needs no labels, so it applies to unconditional models.
 * <p>
 * The paper extrapolates the x_0 estimate. This class extrapolates the raw output (eps or v), which
 * gives the same x_0: for a given x_t and t, each of eps, v and x_0 is an affine function of the
 * others with the same coefficients for both networks, and weights that sum to one commute with
 * affine maps. So the schedulers stay unchanged whatever the model predicts.
 */
public final class GuidedDenoiser implements Denoiser {

    private final Denoiser model;
    private final Denoiser guide;
    private final double weight;

    /**
     * @param weight w >= 1; 1 is the model alone
     * @throws IllegalArgumentException when the weight is below 1 or not finite
     */
    public GuidedDenoiser(Denoiser model, Denoiser guide, double weight) {
        if (!(weight >= 1) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException(
                    "guidance weight must be a finite number >= 1 (1 = no guidance), not " + weight);
        }
        this.model = model;
        this.guide = guide;
        this.weight = weight;
    }

    @Override
    public float[][] predict(float[][] x, int[] t) {
        float[][] better = model.predict(x, t);
        if (weight == 1) {
            return better;
        }
        float[][] weaker = guide.predict(x, t);
        if (weaker.length != better.length) {
            throw new IllegalStateException(
                    "the guide answered " + weaker.length + " predictions for " + better.length + " images");
        }
        float[][] guided = new float[better.length][];
        for (int i = 0; i < better.length; i++) {
            guided[i] = extrapolate(better[i], weaker[i], weight);
        }
        return guided;
    }

    /**
     * w D_1 + (1 - w) D_0 element by element, for callers that hold flattened batches (the sampler).
     *
     * @throws IllegalStateException when the two predictions differ in length
     */
    public static float[] extrapolate(float[] model, float[] guide, double weight) {
        if (guide.length != model.length) {
            throw new IllegalStateException("the guide's prediction has " + guide.length + " values, the model's "
                    + model.length + ": the two must make the same images");
        }
        float[] guided = new float[model.length];
        for (int j = 0; j < model.length; j++) {
            // Written as D_0 + w (D_1 - D_0).
            guided[j] = (float) (guide[j] + weight * (model[j] - guide[j]));
        }
        return guided;
    }
}
