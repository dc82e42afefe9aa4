package dev.ddpm.trainer.data;

import java.util.List;

/** Decoded images held in memory, with what loading them skipped. */
public final class InMemoryImageSet implements ImageSet {

    private final int channels;
    private final int imageSize;
    private final List<float[]> images;
    private final List<String> skipped;

    public InMemoryImageSet(int channels, int imageSize, List<float[]> images, List<String> skipped) {
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

    /** Files or records that could not be decoded, each with the reason. */
    public List<String> skipped() {
        return skipped;
    }
}
