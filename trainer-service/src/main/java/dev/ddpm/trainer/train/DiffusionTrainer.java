package dev.ddpm.trainer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.ddpm.core.diffusion.Denoiser;
import dev.ddpm.core.diffusion.NoiseSchedule;
import dev.ddpm.core.diffusion.SeededNoise;
import dev.ddpm.core.model.PredictionType;
import dev.ddpm.trainer.data.ImageSet;
import dev.ddpm.trainer.model.Scale;
import dev.ddpm.trainer.model.UNet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Algorithm 1 of Ho et al. 2020 on DJL: for a batch of x_0, draw t ~ U{0..T-1} and eps ~ N(0, I),
 * form x_t in closed form, and take an AdamW step on the mean squared error between the network's
 * output and eps (or v). Gradient-norm clipping, learning-rate warm-up and an EMA of the weights
 * as in the paper's setup.
 *
 * <p>Every random choice of step k (which images, which timesteps, which flips, which noise) is a
 * pure function of (seed, k), so a run resumed from a checkpoint at step k continues exactly as
 * the uninterrupted run would have.
 *
 * <p>Several devices ({@link Device.MultiDevice}, e.g. every GPU of a node) train data-parallel: the
 * weights, optimizer state and EMA live on the first device; each step splits the batch into one
 * shard per device, copies the weights to the others inside the gradient tape, and backpropagates
 * the shards' losses weighted by their share of the batch. The copies are differentiable, so
 * autograd gathers every shard's gradient into the first device's weights: one AdamW step on the
 * gradient of the whole batch, as on one device.
 */
public final class DiffusionTrainer implements AutoCloseable {

    /** Rows per forward pass when sampling on a CPU (see {@link #denoiser()}). */
    static final int CPU_ROWS_PER_FORWARD = 100;

    private final TrainingSettings settings;
    private final List<Device> devices;
    private final NDManager manager;
    private final UNet unet;
    private final ParameterStore parameterStore;
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final AdamW optimizer;
    private final Ema ema;
    private final float[] sqrtAlphaBar;
    private final float[] sqrtOneMinusAlphaBar;
    /** Per-timestep loss weights, or null for Algorithm 1's unweighted mean. */
    private final float[] lossWeights;
    private final int imageLength;
    private static final int MAX_SKIPPED_IN_A_ROW = 10;
    private long step;
    private long skippedSteps;
    private int skippedInARow;
    /** Where the cosine decay reaches its floor: the settings' step, or earlier for a time-boxed run. */
    private long decayEnd;
    private boolean gradientsChecked;

    /** @param device one device, or a {@link Device.MultiDevice} to train data-parallel on all of its devices */
    public DiffusionTrainer(TrainingSettings settings, Device device) {
        this.settings = settings;
        this.decayEnd = settings.decaySteps();
        this.devices = List.copyOf(device.getDevices());
        this.manager = NDManager.newBaseManager(devices.get(0));
        Engine.getEngine("PyTorch").setRandomSeed((int) settings.seed());
        this.unet = new UNet(settings.architecture());
        int c = settings.architecture().imageChannels();
        int size = settings.architecture().imageSize();
        this.imageLength = c * size * size;
        unet.initialize(manager, DataType.FLOAT32, new Shape(1, c, size, size), new Shape(1));
        for (Pair<String, Parameter> p : unet.getParameters()) {
            parameters.put(p.getKey(), p.getValue());
        }
        this.parameterStore = new ParameterStore(manager, false);
        this.optimizer = new AdamW(manager, 0.9f, 0.999f, 1e-8f, settings.weightDecay());
        this.ema = new Ema(manager, parameters, settings.emaDecay());
        NoiseSchedule schedule = NoiseSchedule.from(settings.diffusion());
        this.sqrtAlphaBar = new float[schedule.timesteps()];
        this.sqrtOneMinusAlphaBar = new float[schedule.timesteps()];
        for (int t = 0; t < schedule.timesteps(); t++) {
            sqrtAlphaBar[t] = (float) Math.sqrt(schedule.alphaBar(t));
            sqrtOneMinusAlphaBar[t] = (float) Math.sqrt(1 - schedule.alphaBar(t));
        }
        this.lossWeights = settings.snrGamma() == 0 ? null : lossWeights(settings, schedule);
    }

    public UNet unet() {
        return unet;
    }

    public Map<String, Parameter> parameters() {
        return parameters;
    }

    public AdamW optimizer() {
        return optimizer;
    }

    public Ema ema() {
        return ema;
    }

    public NDManager manager() {
        return manager;
    }

    /** Optimizer steps taken so far. */
    public long step() {
        return step;
    }

    /** After a checkpoint restore: continue counting from there. */
    public void restoreStep(long step, long skippedSteps) {
        this.step = step;
        this.skippedSteps = skippedSteps;
        this.skippedInARow = 0;
    }

    public TrainingSettings settings() {
        return settings;
    }

    /** The update at which the learning rate reaches its floor (0 without decay). */
    public long decayEnd() {
        return decayEnd;
    }

    /**
     * Moves the end of the cosine decay to update {@code end}, never past the settings' own end nor
     * before the next update (no effect without decay): a time-boxed run fits the decay to the steps
     * it can reach, so it ends annealed instead of cut off mid-schedule.
     */
    public void fitDecayEnd(long end) {
        if (settings.decaySteps() > 0) {
            decayEnd = Math.max(step + 1, Math.min(end, settings.decaySteps()));
        }
    }

    /**
     * One optimisation step on a batch drawn from {@code data}; returns the batch loss. The first
     * one fails, on a CPU whose libtorch convolution gradients are wrong, with how to fix that
     * ({@link ConvolutionGradientCheck}).
     */
    public float trainStep(ImageSet data) {
        if (!gradientsChecked) {
            ConvolutionGradientCheck.requireCorrect(devices, settings.architecture());
            gradientsChecked = true;
        }
        long k = step + 1;
        int batch = settings.batchSize();
        int timesteps = sqrtAlphaBar.length;
        // SplittableRandom scrambles its seed, so nearby (seed, k) pairs give unrelated streams.
        SplittableRandom random = new SplittableRandom(settings.seed() * 0x9E3779B97F4A7C15L + k);
        float[] x0 = new float[batch * imageLength];
        float[] a = new float[batch];
        float[] s = new float[batch];
        float[] tValues = new float[batch];
        float[] w = new float[batch];
        for (int i = 0; i < batch; i++) {
            float[] image = data.image(random.nextInt(data.size()));
            boolean flip = settings.horizontalFlip() && random.nextBoolean();
            copyImage(image, x0, i * imageLength, flip);
            int t = random.nextInt(timesteps);
            tValues[i] = t;
            a[i] = sqrtAlphaBar[t];
            s[i] = sqrtOneMinusAlphaBar[t];
            w[i] = lossWeights == null ? 1f : lossWeights[t];
        }
        float[] eps = SeededNoise.forSample(settings.seed() ^ 0x6E6F697365L, k).draw(0, batch * imageLength);
        // Dropout draws from torch's global generator, whose state DJL cannot save: reseeding it from
        // (seed, k) makes step k's masks as reproducible as its batch, so a resumed run drops the same
        // units the uninterrupted one would have.
        Engine.getEngine("PyTorch").setRandomSeed((int) random.nextLong());

        float lossValue;
        Shape shape = new Shape(batch, settings.architecture().imageChannels(),
                settings.architecture().imageSize(), settings.architecture().imageSize());
        // The step's arrays (and, on several devices, its weight copies) are freed when the step ends.
        try (NDScope scope = new NDScope(); NDManager copies = devices.size() > 1 ? manager.newSubManager() : null) {
            NDArray x0Array = manager.create(x0, shape);
            NDArray epsArray = manager.create(eps, shape);
            NDArray aArray = manager.create(a, new Shape(batch, 1, 1, 1));
            NDArray sArray = manager.create(s, new Shape(batch, 1, 1, 1));
            NDArray xt = x0Array.mul(aArray).add(epsArray.mul(sArray));           // eq. 4
            NDArray target = settings.diffusion().predictionType() == PredictionType.EPSILON
                    ? epsArray
                    : epsArray.mul(aArray).sub(x0Array.mul(sArray));             // v
            NDArray tArray = manager.create(tValues);
            NDArray weights = lossWeights == null ? null : manager.create(w);
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray loss = devices.size() == 1
                        ? meanSquaredError(unet.forward(parameterStore, new NDList(xt, tArray), true)
                                .singletonOrThrow(), target, weights)
                        : dataParallelLoss(xt, tArray, target, weights, batch, copies);
                collector.backward(loss);
                lossValue = loss.getFloat();
            }
            double gradientNorm = clipGradients(settings.gradientClip());
            if (Float.isFinite(lossValue) && Double.isFinite(gradientNorm)) {
                optimizer.update(parameters, settings.learningRateAt(k, decayEnd));
                zeroGradients();
                skippedInARow = 0;
            } else {
                // A non-finite loss or gradient would poison the weights and the optimizer's moments:
                // drop this update, as mixed-precision trainers do, and give up if it keeps happening.
                String where = skippedInARow + 1 >= MAX_SKIPPED_IN_A_ROW ? nonFiniteGradients() : "";
                resetGradients();
                skippedSteps++;
                if (++skippedInARow >= MAX_SKIPPED_IN_A_ROW) {
                    throw new TrainingDivergedException("loss or gradient not finite for " + skippedInARow
                            + " steps in a row at step " + k + " (loss " + lossValue + ", gradient norm "
                            + gradientNorm + where + "); lower the learning rate (" + settings.learningRate() + ")");
                }
            }
        }
        step = k;
        if (skippedInARow == 0) {
            ema.update(parameters, k);
        }
        return lossValue;
    }

    /**
     * The batch's mean squared error computed in shards, one per device: shard i's mean weighted by
     * its share of the batch, so the sum is the whole batch's mean and its gradient the whole
     * batch's gradient. Every shard is launched before any result is gathered, so the devices work
     * at the same time. Must run inside the gradient tape: the weight copies carry the gradients
     * back to the first device.
     */
    private NDArray dataParallelLoss(NDArray xt, NDArray t, NDArray target, NDArray weights, int batch,
            NDManager copies) {
        int shards = Math.min(devices.size(), batch);
        NDArray[] losses = new NDArray[shards];
        for (int i = 0; i < shards; i++) {
            int from = (int) ((long) batch * i / shards);
            int to = (int) ((long) batch * (i + 1) / shards);
            Device device = devices.get(i);
            // Shard 0 uses the weights themselves; the others a fresh copy on their device each step.
            ParameterStore store = i == 0 ? parameterStore : new ParameterStore(copies, true);
            NDArray x = xt.get(from + ":" + to).toDevice(device, false);
            NDArray times = t.get(from + ":" + to).toDevice(device, false);
            NDArray prediction = unet.forward(store, new NDList(x, times), true).singletonOrThrow();
            NDArray shardWeights = weights == null ? null : weights.get(from + ":" + to).toDevice(device, false);
            losses[i] = Scale.by(meanSquaredError(prediction, target.get(from + ":" + to).toDevice(device, false),
                    shardWeights), (double) (to - from) / batch);
        }
        NDArray total = losses[0];
        for (int i = 1; i < shards; i++) {
            total = total.add(losses[i].toDevice(devices.get(0), false));
        }
        return total;
    }

    /**
     * Algorithm 1, line 5: the mean squared error over the batch; with per-sample weights (Min-SNR),
     * each sample's mean over its pixels times its weight, averaged over the batch.
     */
    private static NDArray meanSquaredError(NDArray prediction, NDArray target, NDArray weights) {
        NDArray squared = prediction.sub(target).square();
        if (weights == null) {
            return squared.mean();
        }
        // PyTorch's engine in DJL reduces over one axis at a time: flatten each sample first.
        return squared.reshape(squared.getShape().get(0), -1).mean(new int[] {1}).mul(weights).mean();
    }

    /** Each timestep's loss weight, from its SNR = abar_t / (1 - abar_t). */
    private static float[] lossWeights(TrainingSettings settings, NoiseSchedule schedule) {
        boolean vPrediction = settings.diffusion().predictionType() == PredictionType.V;
        float[] weights = new float[schedule.timesteps()];
        for (int t = 0; t < weights.length; t++) {
            double alphaBar = schedule.alphaBar(t);
            weights[t] = settings.lossWeight(alphaBar / (1 - alphaBar), vPrediction);
        }
        return weights;
    }

    /** The devices this trainer trains on; the first holds the weights. */
    public List<Device> devices() {
        return devices;
    }

    /** Updates dropped because the loss or the gradient was not finite. */
    public long skippedSteps() {
        return skippedSteps;
    }

    private void copyImage(float[] image, float[] target, int offset, boolean flip) {
        if (!flip) {
            System.arraycopy(image, 0, target, offset, imageLength);
            return;
        }
        int size = settings.architecture().imageSize();
        for (int c = 0; c < settings.architecture().imageChannels(); c++) {
            for (int y = 0; y < size; y++) {
                int row = c * size * size + y * size;
                for (int x = 0; x < size; x++) {
                    target[offset + row + x] = image[row + size - 1 - x];
                }
            }
        }
    }

    /**
     * Scales all gradients together so that their global L2 norm is at most {@code maxNorm};
     * returns the norm before clipping (one device-to-host transfer for all parameters).
     */
    private double clipGradients(float maxNorm) {
        NDList squares = new NDList(parameters.size());
        for (Parameter p : parameters.values()) {
            squares.add(p.getArray().getGradient().square().sum());
        }
        double norm = Math.sqrt(NDArrays.stack(squares).sum().getFloat());
        if (maxNorm > 0 && Double.isFinite(norm) && norm > maxNorm) {
            float scale = (float) (maxNorm / (norm + 1e-6));
            for (Parameter p : parameters.values()) {
                p.getArray().getGradient().muli(scale);
            }
        }
        return norm;
    }

    /**
     * "; not finite in n of m gradients: first, ..." (the first six, in the network's order: where a
     * divergence starts), or "" when every gradient is finite.
     */
    private String nonFiniteGradients() {
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, Parameter> p : parameters.entrySet()) {
            NDArray grad = p.getValue().getArray().getGradient();
            if (grad.isNaN().logicalOr(grad.isInfinite()).any().getBoolean()) {
                names.add(p.getKey());
            }
        }
        return names.isEmpty() ? "" : "; not finite in " + names.size() + " of " + parameters.size() + " gradients: "
                + String.join(", ", names.subList(0, Math.min(6, names.size()))) + (names.size() > 6 ? ", ..." : "");
    }

    private void zeroGradients() {
        for (Parameter p : parameters.values()) {
            NDArray grad = p.getArray().getGradient();
            grad.subi(grad);
        }
    }

    /**
     * Zeroes gradients that may hold NaN or infinity (where g - g alone would stay NaN), in place:
     * the non-finite entries are masked to 0 first. Never {@code copyTo}/{@code set(Buffer)} here:
     * DJL's PyTorch {@code set} makes the tensor's storage the Java buffer, owned by the wrapper it
     * was called on, and {@code getGradient()} returns a fresh wrapper each time, so the parameter's
     * gradient would live in memory the garbage collector frees later: on a 2-core machine that
     * surfaced, minutes after the first dropped step, as NaN gradients in every layer or glibc's
     * "corrupted double-linked list".
     */
    private void resetGradients() {
        try (NDScope scope = new NDScope()) {
            for (Parameter p : parameters.values()) {
                NDArray grad = p.getArray().getGradient();
                grad.set(grad.isNaN().logicalOr(grad.isInfinite()), 0f);
                grad.subi(grad);
            }
        }
    }

    /**
     * The network as the reverse process sees it, with the current (not averaged) weights. On a CPU a
     * large request is run {@value #CPU_ROWS_PER_FORWARD} rows at a time: the rows are independent
     * (GroupNorm and attention work within an image), two cores are busy at that size already, and
     * the activations of a 500-image batch (50 MB for one 32-channel 28x28 map) exceed glibc's 32 MiB
     * mmap ceiling, so every step would fault them in afresh (docs/benchmarks.md, "Native memory").
     */
    public Denoiser denoiser() {
        int rowsPerForward = devices.get(0).isGpu() ? Integer.MAX_VALUE : CPU_ROWS_PER_FORWARD;
        return (x, t) -> {
            float[][] result = new float[x.length][];
            for (int from = 0; from < x.length; from += rowsPerForward) {
                int to = Math.min(x.length, from + rowsPerForward);
                float[][] chunk = predict(Arrays.copyOfRange(x, from, to), Arrays.copyOfRange(t, from, to));
                System.arraycopy(chunk, 0, result, from, chunk.length);
            }
            return result;
        };
    }

    private float[][] predict(float[][] x, int[] t) {
        int c = settings.architecture().imageChannels();
        int size = settings.architecture().imageSize();
        try (NDScope scope = new NDScope()) {
            float[] flat = new float[x.length * imageLength];
            float[] times = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                System.arraycopy(x[i], 0, flat, i * imageLength, imageLength);
                times[i] = t[i];
            }
            NDArray input = manager.create(flat, new Shape(x.length, c, size, size));
            NDArray output = unet.forward(parameterStore, new NDList(input, manager.create(times)), false)
                    .singletonOrThrow();
            float[] out = output.toFloatArray();
            float[][] result = new float[x.length][imageLength];
            for (int i = 0; i < x.length; i++) {
                System.arraycopy(out, i * imageLength, result[i], 0, imageLength);
            }
            return result;
        }
    }

    /** Runs {@code action} with the EMA weights loaded (sampling, export), then restores the trained ones. */
    public <T> T withEmaWeights(java.util.function.Supplier<T> action) {
        return ema.withAveragedWeights(parameters, action);
    }

    @Override
    public void close() {
        manager.close();
    }
}
