package dev.ddpm.core.diffusion;

/**
 * Counter-based Gaussian noise: the draw for (seed, sample index, step, element) is a pure function
 * of those four numbers, so an image's noise never depends on which batch, neighbours or replica
 * produced it. Each (seed, index, step) key selects a SplitMix64 stream (Steele et al. 2014), whose
 * successive 64-bit outputs feed the Box-Muller transform.
 */
public final class SeededNoise implements GaussianNoise {

    /** Step key of the initial x_T draw; reverse steps use their timestep (0..T-1). */
    public static final int INITIAL = -1;

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private final long seed;
    private final long sampleIndex;

    public SeededNoise(long seed, long sampleIndex) {
        this.seed = seed;
        this.sampleIndex = sampleIndex;
    }

    /** The noise source of image {@code sampleIndex} of a request with this seed. */
    public static SeededNoise forSample(long seed, long sampleIndex) {
        return new SeededNoise(seed, sampleIndex);
    }

    @Override
    public float[] draw(int step, int length) {
        long state = mix64(mix64(mix64(seed) ^ sampleIndex) + step * GOLDEN_GAMMA + 0x632BE59BD9B4E019L);
        float[] out = new float[length];
        for (int i = 0; i < length; i += 2) {
            state += GOLDEN_GAMMA;
            double u1 = toUnitOpen(mix64(state));
            state += GOLDEN_GAMMA;
            double u2 = toUnitOpen(mix64(state));
            double radius = Math.sqrt(-2.0 * Math.log(u1));
            double angle = 2.0 * Math.PI * u2;
            out[i] = (float) (radius * Math.cos(angle));
            if (i + 1 < length) {
                out[i + 1] = (float) (radius * Math.sin(angle));
            }
        }
        return out;
    }

    /** SplitMix64's output function (a bijective 64-bit finaliser). */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** 53 random bits to a double in (0, 1): never 0, so log(u) is finite. */
    private static double toUnitOpen(long bits) {
        return ((bits >>> 11) + 0.5) * 0x1.0p-53;
    }
}
