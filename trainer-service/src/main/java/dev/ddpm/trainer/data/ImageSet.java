package dev.ddpm.trainer.data;

import java.util.Optional;

/**
 * Training images in model space: each image flattened channel-major (C, H, W), values in
 * [-1, 1] (pixel / 127.5 - 1, as in Ho et al.).
 */
public interface ImageSet {

    int size();

    int channels();

    /** Height = width of every image. */
    int imageSize();

    float[] image(int index);

    /** The class of each image, where the data set names them. */
    default Optional<Labels> labels() {
        return Optional.empty();
    }
}
