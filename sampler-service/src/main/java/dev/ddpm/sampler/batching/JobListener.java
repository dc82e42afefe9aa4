package dev.ddpm.sampler.batching;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.api.SamplingRequest;

import java.util.List;

/**
 * What a caller hears about its request, on the batcher's thread: keep each call short. Progress
 * and previews are for callers that stream them; the others need not listen.
 */
public interface JobListener {

    /**
     * The request as it runs, before any other call: its steps decided and its {@code previewEvery}
     * capped ({@link SamplingRequest#withPreviewsAtMost}).
     */
    default void resolved(SamplingRequest spec) {}

    /** @param queuePosition > 0 while waiting for a batch slot */
    default void progress(int step, int totalSteps, double etaSeconds, int queuePosition) {}

    /**
     * The predicted x_0 of image {@code index} after {@code step} steps (model space, C*H*W), the
     * listener's own copy: it may keep it past the call, to encode it on a thread of its own.
     */
    default void preview(ModelManifest.Image image, int step, int index, float[] predictedX0) {}

    /**
     * The final images (model space) and, when frames were asked for, the reverse process every few
     * steps as 8-bit pixels ({@link dev.ddpm.core.image.ImageEncoding#quantise}).
     */
    void completed(ModelManifest model, float[][] images, List<byte[][]> frames, double seconds);

    void failed(RuntimeException error);
}
