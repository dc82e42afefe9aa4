package dev.ddpm.trainer.data;

import java.util.List;
import java.util.Optional;

/** Decoded images held in memory, with what loading them skipped. */
public final class InMemoryImageSet implements ImageSet {

    private final int channels;
    private final int imageSize;
    private final List<float[]> images;
    private final List<String> skipped;
    private final Labels labels;

    public InMemoryImageSet(int channels, int imageSize, List<float[]> images, List<String> skipped) {
        this(channels, imageSize, images, skipped, null);
    }

    /** @param labels the class of each image, or null where the data set names none */
    public InMemoryImageSet(int channels, int imageSize, List<float[]> images, List<String> skipped, Labels labels) {
        if (labels != null && labels.ofImage().length != images.size()) {
            throw new IllegalArgumentException(labels.ofImage().length + " labels for " + images.size() + " images");
        }
        this.labels = labels;
        this.channels = channels;
        this.imageSize = imageSize;
        this.images = List.copyOf(images);
        this.skipped = List.copyOf(skipped);
    }

    @Override
    public int size() {
        return images.size();
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public int imageSize() {
        return imageSize;
    }

    @Override
    public float[] image(int index) {
        return images.get(index);
    }

    @Override
    public Optional<Labels> labels() {
        return Optional.ofNullable(labels);
    }

    /** Files or records that could not be decoded, each with the reason. */
    public List<String> skipped() {
        return skipped;
    }
}
