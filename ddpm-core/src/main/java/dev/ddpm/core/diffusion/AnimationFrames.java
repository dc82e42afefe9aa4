package dev.ddpm.core.diffusion;

/**
 * Which moments of the reverse process an animation shows. The image forms late: with the linear
 * schedule most of x_t is still noise until the last tenth of the steps, so evenly spaced frames
 * would spend most of the video on noise and pass over the end, where the image appears, in a few
 * frames. Frame k of n is therefore taken after {@code total x (1 - (1 - k/n)^2)} steps (quadratic
 * easing: the spacing shrinks linearly toward the end, and the last steps are each shown), after
 * the first frame, the starting noise x_T.
 */
public final class AnimationFrames {

    /** Frames of an animation unless asked otherwise: about 5 s at 10 frames per second. */
    public static final int DEFAULT_FRAMES = 48;

    private AnimationFrames() {}

    /**
     * The step counts after which a frame is taken, ascending and distinct, from 0 (x_T, before any
     * step) to {@code totalSteps} (the final image): {@code frames} of them, or every step when the
     * process has fewer.
     */
    public static int[] stepsShown(int totalSteps, int frames) {
        if (totalSteps < 1 || frames < 2) {
            throw new IllegalArgumentException("an animation needs at least one step and two frames, got " + totalSteps
                    + " steps and " + frames + " frames");
        }
        int n = Math.min(frames, totalSteps + 1);
        int[] shown = new int[n];
        int last = -1;
        for (int k = 0; k < n; k++) {
            double u = (double) k / (n - 1);
            int step = (int) Math.round(totalSteps * (1 - (1 - u) * (1 - u)));
            // Near the end several k round to one step: each frame moves on by at least one step, and leaves
            // room for the frames after it, so there are n distinct frames ending at the last step.
            step = Math.min(Math.max(step, last + 1), totalSteps - (n - 1 - k));
            shown[k] = step;
            last = step;
        }
        return shown;
    }
}
