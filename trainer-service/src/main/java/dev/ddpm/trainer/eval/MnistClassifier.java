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

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The feature network of the MNIST quality metrics (no pretrained Inception network can be had
 * here): a small CNN on 1x32x32 digits (conv 5x5 x16, pool, conv 5x5 x32, pool, dense 64, dense
 * 10), trained by the project on labelled MNIST. Its 64 penultimate activations are the features of
 * the Frechet distance; its softmax says whether a sample is a recognisable digit.
 */
public final class MnistClassifier implements AutoCloseable {

    public static final int FEATURES = 64;
    /** The classifier sees 1 x IMAGE_SIZE x IMAGE_SIZE digits: MNIST padded as the data reader pads it. */
    public static final int IMAGE_SIZE = 32;

    private final NDManager manager;
    private final SequentialBlock features;
    private final Linear head;
    private final ParameterStore store;
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();

    public MnistClassifier(Device device, long seed) {
        manager = NDManager.newBaseManager(device);
        Engine.getEngine("PyTorch").setRandomSeed((int) seed);
        features = new SequentialBlock()
                .add(Conv2d.builder().setFilters(16).setKernelShape(new Shape(5, 5)).optPadding(new Shape(2, 2)).build())
                .add(Activation::relu)
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(Conv2d.builder().setFilters(32).setKernelShape(new Shape(5, 5)).optPadding(new Shape(2, 2)).build())
                .add(Activation::relu)
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(FEATURES).build())
                .add(Activation::relu);
        head = Linear.builder().setUnits(10).build();
        features.initialize(manager, DataType.FLOAT32, new Shape(1, 1, IMAGE_SIZE, IMAGE_SIZE));
        head.initialize(manager, DataType.FLOAT32, new Shape(1, FEATURES));
        for (Pair<String, Parameter> p : features.getParameters()) {
            parameters.put("features/" + p.getKey(), p.getValue());
        }
        for (Pair<String, Parameter> p : head.getParameters()) {
            parameters.put("head/" + p.getKey(), p.getValue());
        }
        store = new ParameterStore(manager, false);
    }

    /** Mini-batch Adam on softmax cross-entropy. */
    public void train(ImageSet images, int[] labels, int epochs, int batch, long seed) {
        requireGeometry(images);
        AdamW adam = new AdamW(manager, 0.9f, 0.999f, 1e-8f, 0f);
        SplittableRandom random = new SplittableRandom(seed);
        int stepsPerEpoch = images.size() / batch;
        for (int epoch = 0; epoch < epochs; epoch++) {
            int[] order = random.ints(images.size(), 0, Integer.MAX_VALUE).toArray();
            Integer[] index = new Integer[images.size()];
            for (int i = 0; i < index.length; i++) {
                index[i] = i;
            }
            java.util.Arrays.sort(index, (a, b) -> Integer.compare(order[a], order[b]));
            for (int step = 0; step < stepsPerEpoch; step++) {
                float[] x = new float[batch * IMAGE_SIZE * IMAGE_SIZE];
                float[] oneHot = new float[batch * 10];
                for (int i = 0; i < batch; i++) {
                    int n = index[step * batch + i];
                    System.arraycopy(images.image(n), 0, x, i * IMAGE_SIZE * IMAGE_SIZE, IMAGE_SIZE * IMAGE_SIZE);
                    oneHot[i * 10 + labels[n]] = 1f;
                }
                try (NDScope scope = new NDScope()) {
                    NDArray input = manager.create(x, new Shape(batch, 1, IMAGE_SIZE, IMAGE_SIZE));
                    NDArray target = manager.create(oneHot, new Shape(batch, 10));
                    try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                        NDArray logits = logits(input, true);
                        NDArray loss = logits.logSoftmax(1).mul(target).sum(new int[]{1}).neg().mean();
                        collector.backward(loss);
                    }
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
        return new Calibration((double) correct / probabilities.length, (double) confident / probabilities.length,
                confident == 0 ? 0 : (double) confidentCorrect / confident);
    }

    /** See {@link #calibration}. */
    public record Calibration(double accuracy, double confidentShare, double confidentAccuracy) {
        @Override
        public String toString() {
            return String.format("accuracy %.2f%%; confident on %.1f%% of the digits, %.2f%% of those right",
                    100 * accuracy, 100 * confidentShare, 100 * confidentAccuracy);
        }
    }

    /** The 64 penultimate activations of each image. */
    public double[][] features(float[][] images) {
        double[][] out = new double[images.length][];
        forEachBatch(images, (offset, input) -> {
            float[] f = features.forward(store, new NDList(input), false).singletonOrThrow().toFloatArray();
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
            for (int i = 0; i < p.length / 10; i++) {
                out[offset + i] = java.util.Arrays.copyOfRange(p, i * 10, i * 10 + 10);
            }
        });
        return out;
    }

    public byte[] save() {
        Map<String, TensorArchive.Tensor> tensors = new LinkedHashMap<>();
        parameters.forEach((name, p) -> tensors.put(name,
                new TensorArchive.Tensor(p.getArray().getShape().getShape(), p.getArray().toFloatArray())));
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
        for (int offset = 0; offset < images.length; offset += batch) {
            int n = Math.min(batch, images.length - offset);
            float[] x = new float[n * IMAGE_SIZE * IMAGE_SIZE];
            for (int i = 0; i < n; i++) {
                if (images[offset + i].length != IMAGE_SIZE * IMAGE_SIZE) {
                    throw new IllegalArgumentException("the MNIST classifier takes 1x32x32 images, got "
                            + images[offset + i].length + " values");
                }
                System.arraycopy(images[offset + i], 0, x, i * IMAGE_SIZE * IMAGE_SIZE, IMAGE_SIZE * IMAGE_SIZE);
            }
            try (NDScope scope = new NDScope()) {
                action.apply(offset, manager.create(x, new Shape(n, 1, IMAGE_SIZE, IMAGE_SIZE)));
            }
        }
    }

    private static void requireGeometry(ImageSet images) {
        if (images.channels() != 1 || images.imageSize() != IMAGE_SIZE) {
            throw new IllegalArgumentException("the MNIST classifier takes 1x32x32 images, got " + images.channels()
                    + "x" + images.imageSize() + "x" + images.imageSize());
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
