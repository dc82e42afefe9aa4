package dev.ddpm.trainer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.ddpm.core.diffusion.ForwardProcess;
import dev.ddpm.core.diffusion.NoiseSchedule;
import dev.ddpm.core.diffusion.SeededNoise;
import dev.ddpm.trainer.data.ImageSet;
import dev.ddpm.trainer.model.Scale;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The optimisation of a {@link DiffusionNetwork}, Algorithm 1 of Ho et al. 2020 on DJL: for a batch
 * of x_0, draw t ~ U{0..T-1} and eps ~ N(0, I), form x_t and the target (eps or v) from ddpm-core's
 * per-sample coefficients ({@link ForwardProcess#trainingCoefficients}), and take an AdamW step on the
 * (optionally Min-SNR-weighted) mean squared error between the network's output and the target.
 * Gradient-norm clipping, learning-rate warm-up and decay, the EMA update, and updates with a
 * non-finite loss or gradient dropped. The run loop around it is {@code TrainingRun}.
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

    private static final int MAX_SKIPPED_IN_A_ROW = 10;

    private final TrainingSettings settings;
    private final DiffusionNetwork network;
    private final AdamW optimizer;
    private final ForwardProcess forward;
    private long skippedSteps;
    private int skippedInARow;
    /** Where the cosine decay reaches its floor: the settings' step, or earlier for a time-boxed run. */
    private long decayEnd;

    private boolean gradientsChecked;

    /**
     * A run's optimisation from freshly initialised weights (a pure function of the settings' seed).
     *
     * @param device one device, or a {@link Device.MultiDevice} to train data-parallel on all of its devices
     */
    public DiffusionTrainer(TrainingSettings settings, Device device) {
        this.settings = settings;
        this.decayEnd = settings.decaySteps();
        this.network = new DiffusionNetwork(settings.architecture(), settings.diffusion(), device, settings.seed());
        this.optimizer = new AdamW(network.manager(), 0.9f, 0.999f, 1e-8f, settings.weightDecay());
        this.forward = new ForwardProcess(NoiseSchedule.from(settings.diffusion()));
    }

    /** The network this trainer updates; closed with the trainer. */
    public DiffusionNetwork network() {
        return network;
    }

    public AdamW optimizer() {
        return optimizer;
    }

    /** Optimizer steps taken so far. */
    public long step() {
        return network.step();
    }

    /** After a checkpoint restore: continue counting from there. */
    public void restoreStep(long step, long skippedSteps) {
        network.setStep(step);
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
            decayEnd = Math.max(network.step() + 1, Math.min(end, settings.decaySteps()));
        }
    }

    /**
     * One optimisation step on a batch drawn from {@code data}; returns the batch loss. The first
     * one fails, on a CPU whose libtorch convolution gradients are wrong, with how to fix that
     * ({@link ConvolutionGradientCheck}).
     */
    public float trainStep(ImageSet data) {
        if (!gradientsChecked) {
            ConvolutionGradientCheck.requireCorrect(network.devices(), settings.architecture());
            gradientsChecked = true;
        }
        long k = network.step() + 1;
        Batch batch = drawBatch(data, k);
        float loss;
        boolean updated;
        // The step's arrays (and, on several devices, its weight copies) are freed when the step ends.
        try (NDScope scope = new NDScope();
                NDManager copies =
                        network.devices().size() > 1 ? network.manager().newSubManager() : null) {
            loss = backpropagate(batch, copies);
            Gradients gradients = clipOrDrop(k, loss);
            updated = gradients != null;
            if (updated) {
                update(k, gradients);
            }
        }
        network.setStep(k);
        if (updated) {
            network.ema().update(network.parameters(), k, settings.emaDecay());
        }
        return loss;
    }

    /**
     * Step k's random draws, a pure function of (seed, k): which images, flipped or not, at which
     * timesteps, with which noise; and the seed of the step's dropout masks.
     */
    private Batch drawBatch(ImageSet data, long k) {
        int batch = settings.batchSize();
        int timesteps = forward.schedule().timesteps();
        // SplittableRandom scrambles its seed, so nearby (seed, k) pairs give unrelated streams.
        SplittableRandom random = new SplittableRandom(settings.seed() * 0x9E3779B97F4A7C15L + k);
        int imageLength = network.imageLength();
        float[] x0 = new float[batch * imageLength];
        int[] t = new int[batch];
        float[] tValues = new float[batch];
        for (int i = 0; i < batch; i++) {
            float[] image = data.image(random.nextInt(data.size()));
            boolean flip = settings.horizontalFlip() && random.nextBoolean();
            copyImage(image, x0, i * imageLength, imageLength, flip);
            t[i] = random.nextInt(timesteps);
            tValues[i] = t[i];
        }
        ForwardProcess.TrainingCoefficients c =
                forward.trainingCoefficients(t, settings.diffusion().predictionType(), settings.snrGamma());
        float[] eps = SeededNoise.forSample(settings.seed() ^ 0x6E6F697365L, k).draw(0, batch * imageLength);
        // Dropout draws from torch's global generator, whose state DJL cannot save: reseeding it from
        // (seed, k) makes step k's masks as reproducible as its batch, so a resumed run drops the same
        // units the uninterrupted one would have.
        Engine.getEngine("PyTorch").setRandomSeed((int) random.nextLong());
        return new Batch(x0, tValues, eps, c);
    }

    /**
     * Forms x_t (eq. 4) and the target from the batch, and runs the forward pass, the loss and the
     * backward pass, which leaves the batch's gradient in the weights; returns the loss.
     */
    private float backpropagate(Batch batch, NDManager copies) {
        Shape shape = new Shape(
                settings.batchSize(),
                settings.architecture().imageChannels(),
                settings.architecture().imageSize(),
                settings.architecture().imageSize());
        NDManager manager = network.manager();
        ForwardProcess.TrainingCoefficients c = batch.coefficients();
        NDArray x0Array = manager.create(batch.x0(), shape);
        NDArray epsArray = manager.create(batch.eps(), shape);
        NDArray xt = affine(c.signal(), x0Array, c.noise(), epsArray); // eq. 4
        NDArray target = affine(c.targetX0(), x0Array, c.targetEps(), epsArray);
        NDArray tArray = manager.create(batch.t());
        NDArray weights = settings.snrGamma() == 0 ? null : manager.create(c.lossWeight());
        try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray loss = loss(xt, tArray, target, weights, copies);
            collector.backward(loss);
            return loss.getFloat();
        }
    }

    /** The network's (optionally weighted) mean squared error on x_t, on one device or data-parallel. */
    private NDArray loss(NDArray xt, NDArray t, NDArray target, NDArray weights, NDManager copies) {
        if (network.devices().size() == 1) {
            NDArray prediction = network.unet()
                    .forward(network.parameterStore(), new NDList(xt, t), true)
                    .singletonOrThrow();
            return meanSquaredError(prediction, target, weights);
        }
        return dataParallelLoss(xt, t, target, weights, settings.batchSize(), copies);
    }

    /**
     * Clips the gradient's global norm; returns the clipped gradients, or null when the loss or the
     * gradient is not finite: then the update is dropped (the gradients reset, the step counted as
     * skipped), and too many in a row fail the run.
     */
    private Gradients clipOrDrop(long k, float loss) {
        Gradients gradients = new Gradients(network.parameters());
        double gradientNorm = gradients.clipGlobalNorm(settings.gradientClip());
        if (Float.isFinite(loss) && Double.isFinite(gradientNorm)) {
            return gradients;
        }
        // A non-finite loss or gradient would poison the weights and the optimizer's moments:
        // drop this update, as mixed-precision trainers do, and give up if it keeps happening.
        String where = skippedInARow + 1 >= MAX_SKIPPED_IN_A_ROW ? gradients.nonFinite() : "";
        gradients.reset();
        skippedSteps++;
        if (++skippedInARow >= MAX_SKIPPED_IN_A_ROW) {
            throw new TrainingDivergedException("loss or gradient not finite for " + skippedInARow
                    + " steps in a row at step " + k + " (loss " + loss + ", gradient norm "
                    + gradientNorm + where + "); lower the learning rate (" + settings.learningRate() + ")");
        }
        return null;
    }

    /** The AdamW step of update k with the clipped gradients, which are then zeroed for the next step. */
    private void update(long k, Gradients gradients) {
        DjlEngine.gradientsOff();
        optimizer.update(network.parameters(), settings.learningRateAt(k, decayEnd));
        gradients.zero();
        skippedInARow = 0;
    }

    /**
     * The batch's mean squared error computed in shards, one per device: shard i's mean weighted by
     * its share of the batch, so the sum is the whole batch's mean and its gradient the whole
     * batch's gradient. Every shard is launched before any result is gathered, so the devices work
     * at the same time. Must run inside the gradient tape: the weight copies carry the gradients
     * back to the first device.
     */
    private NDArray dataParallelLoss(
            NDArray xt, NDArray t, NDArray target, NDArray weights, int batch, NDManager copies) {
        List<Device> devices = network.devices();
        int shards = Math.min(devices.size(), batch);
        NDArray[] losses = new NDArray[shards];
        for (int i = 0; i < shards; i++) {
            int from = (int) ((long) batch * i / shards);
            int to = (int) ((long) batch * (i + 1) / shards);
            Device device = devices.get(i);
            // Shard 0 uses the weights themselves; the others a fresh copy on their device each step.
            ParameterStore store = i == 0 ? network.parameterStore() : new ParameterStore(copies, true);
            NDArray x = xt.get(from + ":" + to).toDevice(device, false);
            NDArray times = t.get(from + ":" + to).toDevice(device, false);
            NDArray prediction =
                    network.unet().forward(store, new NDList(x, times), true).singletonOrThrow();
            NDArray shardWeights =
                    weights == null ? null : weights.get(from + ":" + to).toDevice(device, false);
            losses[i] = Scale.by(
                    meanSquaredError(prediction, target.get(from + ":" + to).toDevice(device, false), shardWeights),
                    (double) (to - from) / batch);
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
        return squared.reshape(squared.getShape().get(0), -1)
                .mean(new int[] {1})
                .mul(weights)
                .mean();
    }

    /** a x + b y with one scalar of a and b per sample (the batch's first axis). */
    private NDArray affine(float[] a, NDArray x, float[] b, NDArray y) {
        Shape perSample = new Shape(a.length, 1, 1, 1);
        return x.mul(network.manager().create(a, perSample))
                .add(y.mul(network.manager().create(b, perSample)));
    }

    /** Updates dropped because the loss or the gradient was not finite. */
    public long skippedSteps() {
        return skippedSteps;
    }

    private void copyImage(float[] image, float[] target, int offset, int imageLength, boolean flip) {
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

    @Override
    public void close() {
        network.close();
    }

    /**
     * Step k's batch: the images x_0 and the noise eps (batch x image, flattened), the timesteps as
     * the network's input, and ddpm-core's per-sample coefficients of x_t, the target and the loss weight.
     */
    private record Batch(float[] x0, float[] t, float[] eps, ForwardProcess.TrainingCoefficients coefficients) {}
}
