package dev.ddpm.trainer.eval;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.ddpm.trainer.checkpoint.TensorArchive;
import dev.ddpm.trainer.data.ImageSet;
import dev.ddpm.trainer.train.AdamW;
import dev.ddpm.trainer.train.DjlEngine;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The feature network of the quality metrics (no pretrained Inception network can be had here): a
 * small CNN (conv 5x5 x16, pool, conv 5x5 x32, pool, dense 64, dense to the classes) trained by the
 * project on a data set's own labels: MNIST's digits, Fashion-MNIST's classes, the emoji
 * categories, CIFAR-10's classes. Its 64 penultimate activations are the features of the Frechet
 * distance; its softmax says whether a sample is recognisably of a class.
 */
public final class FeatureClassifier implements AutoCloseable {

    public static final int FEATURES = 64;
    /** MNIST's digits as the metrics see them: padded to 32x32 as the data reader pads them. */
    public static final int MNIST_SIZE = 32;

    private final int channels;
    private final int imageSize;
    private final int classes;
    private final NDManager manager;
    private final SequentialBlock features;
    private final Linear head;
    private final ParameterStore store;
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();

    /** The MNIST classifier: ten digits at 1x32x32. */
    public static FeatureClassifier mnist(Device device, long seed) {
        return new FeatureClassifier(device, 1, MNIST_SIZE, 10, seed);
    }

    /** @param imageSize a multiple of 4 (two 2x2 poolings) */
    public FeatureClassifier(Device device, int channels, int imageSize, int classes, long seed) {
        if (imageSize % 4 != 0 || imageSize < 8 || classes < 2) {
            throw new IllegalArgumentException(
                    "the classifier takes square images of a multiple of 4 pixels (8 or more)"
                            + " and at least two classes, got " + imageSize + " pixels and " + classes + " classes");
        }
        this.channels = channels;
        this.imageSize = imageSize;
        this.classes = classes;
        manager = NDManager.newBaseManager(device);
        Engine.getEngine("PyTorch").setRandomSeed((int) seed);
        features = new SequentialBlock()
                .add(Conv2d.builder()
                        .setFilters(16)
                        .setKernelShape(new Shape(5, 5))
                        .optPadding(new Shape(2, 2))
                        .build())
                .add(Activation::relu)
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(Conv2d.builder()
                        .setFilters(32)
                        .setKernelShape(new Shape(5, 5))
                        .optPadding(new Shape(2, 2))
                        .build())
                .add(Activation::relu)
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(FEATURES).build())
                .add(Activation::relu);
        head = Linear.builder().setUnits(classes).build();
        features.initialize(manager, DataType.FLOAT32, new Shape(1, channels, imageSize, imageSize));
        head.initialize(manager, DataType.FLOAT32, new Shape(1, FEATURES));
        for (Pair<String, Parameter> p : features.getParameters()) {
            parameters.put("features/" + p.getKey(), p.getValue());
        }
        for (Pair<String, Parameter> p : head.getParameters()) {
            parameters.put("head/" + p.getKey(), p.getValue());
        }
        store = new ParameterStore(manager, false);
    }

    public int classes() {
        return classes;
    }

    /** As {@link #train(ImageSet, int[], int, int, long, boolean, int)} without a reject class. */
    public void train(ImageSet images, int[] labels, int epochs, int batch, long seed, boolean flips) {
        train(images, labels, epochs, batch, seed, flips, -1);
    }

    /**
     * Mini-batch Adam on softmax cross-entropy; {@code flips} also shows each image mirrored
     * left-right with probability 1/2 (for colour sets, whose models train with flips). With a
     * {@code rejectClass} (the last class; -1: none), one batch slot in five holds an image that
     * belongs to no class ({@link OutOfSetImages}) with that label.
     */
    public void train(ImageSet images, int[] labels, int epochs, int batch, long seed, boolean flips, int rejectClass) {
        requireGeometry(images);
        int pixels = channels * imageSize * imageSize;
        batch = Math.min(batch, images.size());
        AdamW adam = new AdamW(manager, 0.9f, 0.999f, 1e-8f, 0f);
        SplittableRandom random = new SplittableRandom(seed);
        int stepsPerEpoch = images.size() / batch;
        for (int epoch = 0; epoch < epochs; epoch++) {
            int[] order = random.ints(images.size(), 0, Integer.MAX_VALUE).toArray();
            Integer[] index = new Integer[images.size()];
            for (int i = 0; i < index.length; i++) {
                index[i] = i;
            }
            Arrays.sort(index, (a, b) -> Integer.compare(order[a], order[b]));
            for (int step = 0; step < stepsPerEpoch; step++) {
                float[] x = new float[batch * pixels];
                float[] oneHot = new float[batch * classes];
                for (int i = 0; i < batch; i++) {
                    int n = index[step * batch + i];
                    float[] image = images.image(n);
                    int label = labels[n];
                    if (rejectClass >= 0 && random.nextInt(5) == 0) {
                        image = OutOfSetImages.from(image, channels, imageSize, random);
                        label = rejectClass;
                    } else if (flips && random.nextBoolean()) {
                        image = mirrored(image);
                    }
                    System.arraycopy(image, 0, x, i * pixels, pixels);
                    oneHot[i * classes + label] = 1f;
                }
                try (NDScope scope = new NDScope()) {
                    NDArray input = manager.create(x, new Shape(batch, channels, imageSize, imageSize));
                    NDArray target = manager.create(oneHot, new Shape(batch, classes));
                    try (GradientCollector collector =
                            Engine.getEngine("PyTorch").newGradientCollector()) {
                        NDArray logits = logits(input, true);
                        NDArray loss = logits.logSoftmax(1)
                                .mul(target)
                                .sum(new int[] {1})
                                .neg()
                                .mean();
                        collector.backward(loss);
                    }
                    DjlEngine.gradientsOff();
                    adam.update(parameters, 1e-3f);
                    for (Parameter p : parameters.values()) {
                        NDArray grad = p.getArray().getGradient();
                        grad.subi(grad);
                    }
                }
            }
        }
    }

    /** Share of images whose most probable class is their label. */
    public double accuracy(ImageSet images, int[] labels) {
        return calibration(images, labels).accuracy();
    }

    /**
     * How far the classifier's confidence can be read as a probability, on labelled digits: its
     * accuracy, the share it calls with confidence >= {@link QualityReport#CONFIDENT} (the
     * "recognisable" share of real digits) and how often those confident calls are right, which
     * should be at least the threshold itself.
     */
    public Calibration calibration(ImageSet images, int[] labels) {
        float[][] probabilities = probabilities(all(images));
        int correct = 0;
        int confident = 0;
        int confidentCorrect = 0;
        for (int i = 0; i < probabilities.length; i++) {
            int best = argmax(probabilities[i]);
            boolean right = best == labels[i];
            correct += right ? 1 : 0;
            if (probabilities[i][best] >= QualityReport.CONFIDENT) {
                confident++;
                confidentCorrect += right ? 1 : 0;
            }
        }
        return new Calibration(
                (double) correct / probabilities.length,
                (double) confident / probabilities.length,
                confident == 0 ? 0 : (double) confidentCorrect / confident);
    }

    /** See {@link #calibration}. */
    public record Calibration(double accuracy, double confidentShare, double confidentAccuracy) {
        @Override
        public String toString() {
            return String.format(
                    "accuracy %.2f%%; confident on %.1f%% of the images, %.2f%% of those right",
                    100 * accuracy, 100 * confidentShare, 100 * confidentAccuracy);
        }
    }

    /** The 64 penultimate activations of each image. */
    public double[][] features(float[][] images) {
        double[][] out = new double[images.length][];
        forEachBatch(images, (offset, input) -> {
            float[] f = features.forward(store, new NDList(input), false)
                    .singletonOrThrow()
                    .toFloatArray();
            for (int i = 0; i < f.length / FEATURES; i++) {
                double[] row = new double[FEATURES];
                for (int j = 0; j < FEATURES; j++) {
                    row[j] = f[i * FEATURES + j];
                }
                out[offset + i] = row;
            }
        });
        return out;
    }

    public float[][] probabilities(float[][] images) {
        float[][] out = new float[images.length][];
        forEachBatch(images, (offset, input) -> {
            float[] p = logits(input, false).softmax(1).toFloatArray();
            for (int i = 0; i < p.length / classes; i++) {
                out[offset + i] = Arrays.copyOfRange(p, i * classes, i * classes + classes);
            }
        });
        return out;
    }

    public byte[] save() {
        Map<String, TensorArchive.Tensor> tensors = new LinkedHashMap<>();
        parameters.forEach((name, p) -> tensors.put(
                name,
                new TensorArchive.Tensor(
                        p.getArray().getShape().getShape(), p.getArray().toFloatArray())));
        return TensorArchive.write(tensors);
    }

    public void load(byte[] archive, String what) {
        Map<String, TensorArchive.Tensor> tensors = TensorArchive.read(archive, what);
        parameters.forEach((name, p) -> {
            TensorArchive.Tensor t = tensors.get(name);
            if (t == null || t.values().length != p.getArray().size()) {
                throw new IllegalArgumentException(what + " does not hold parameter " + name);
            }
            p.getArray().set(t.values());
        });
    }

    static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    static float[][] all(ImageSet images) {
        float[][] out = new float[images.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = images.image(i);
        }
        return out;
    }

    private NDArray logits(NDArray input, boolean training) {
        NDArray f = features.forward(store, new NDList(input), training).singletonOrThrow();
        return head.forward(store, new NDList(f), training).singletonOrThrow();
    }

    private interface BatchAction {
        void apply(int offset, NDArray input);
    }

    private void forEachBatch(float[][] images, BatchAction action) {
        int batch = 256;
        int pixels = channels * imageSize * imageSize;
        for (int offset = 0; offset < images.length; offset += batch) {
            int n = Math.min(batch, images.length - offset);
            float[] x = new float[n * pixels];
            for (int i = 0; i < n; i++) {
                if (images[offset + i].length != pixels) {
                    throw new IllegalArgumentException("the classifier takes " + geometry() + " images, got "
                            + images[offset + i].length + " values");
                }
                System.arraycopy(images[offset + i], 0, x, i * pixels, pixels);
            }
            try (NDScope scope = new NDScope()) {
                action.apply(offset, manager.create(x, new Shape(n, channels, imageSize, imageSize)));
            }
        }
    }

    /** The image mirrored left-right, channel by channel. */
    static float[] mirrored(float[] image, int size) {
        float[] out = new float[image.length];
        for (int row = 0; row < image.length / size; row++) {
            for (int x = 0; x < size; x++) {
                out[row * size + x] = image[row * size + size - 1 - x];
            }
        }
        return out;
    }

    private float[] mirrored(float[] image) {
        return mirrored(image, imageSize);
    }

    private String geometry() {
        return channels + "x" + imageSize + "x" + imageSize;
    }

    private void requireGeometry(ImageSet images) {
        if (images.channels() != channels || images.imageSize() != imageSize) {
            throw new IllegalArgumentException("the classifier takes " + geometry() + " images, got "
                    + images.channels() + "x" + images.imageSize() + "x" + images.imageSize());
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
