package dev.ddpm.trainer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.ddpm.core.diffusion.Denoiser;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.trainer.model.UNet;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The noise-prediction network of one run as everything but the optimiser sees it: the UNet and its
 * weights, their exponential moving average, the diffusion settings it was trained under, how many
 * updates the weights have seen, and the network as the reverse process calls it ({@link #denoiser()}).
 * This is what a checkpoint restores to, what export and evaluation take, and what autoguidance pairs.
 */
public final class DiffusionNetwork implements AutoCloseable {

    /** Rows per forward pass when sampling on a CPU (see {@link #denoiser()}). */
    static final int CPU_ROWS_PER_FORWARD = 100;

    private final UNetConfig architecture;
    private final DiffusionConfig diffusion;
    private final List<Device> devices;
    private final NDManager manager;
    private final UNet unet;
    private final ParameterStore parameterStore;
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Ema ema;
    private final int imageLength;
    private long step;

    /**
     * A freshly initialised network; its weights are a pure function of {@code seed}.
     *
     * @param device one device, or a {@link Device.MultiDevice} whose first device holds the weights
     */
    public DiffusionNetwork(UNetConfig architecture, DiffusionConfig diffusion, Device device, long seed) {
        this.architecture = architecture;
        this.diffusion = diffusion;
        this.devices = List.copyOf(device.getDevices());
        this.manager = NDManager.newBaseManager(devices.get(0));
        Engine.getEngine("PyTorch").setRandomSeed((int) seed);
        this.unet = new UNet(architecture);
        int c = architecture.imageChannels();
        int size = architecture.imageSize();
        this.imageLength = c * size * size;
        unet.initialize(manager, DataType.FLOAT32, new Shape(1, c, size, size), new Shape(1));
        for (Pair<String, Parameter> p : unet.getParameters()) {
            parameters.put(p.getKey(), p.getValue());
        }
        this.parameterStore = new ParameterStore(manager, false);
        this.ema = new Ema(manager, parameters);
    }

    public UNetConfig architecture() {
        return architecture;
    }

    public DiffusionConfig diffusion() {
        return diffusion;
    }

    public UNet unet() {
        return unet;
    }

    public Map<String, Parameter> parameters() {
        return parameters;
    }

    public Ema ema() {
        return ema;
    }

    public NDManager manager() {
        return manager;
    }

    /** The store that hands the weights themselves (no copies) to the first device's forward passes. */
    ParameterStore parameterStore() {
        return parameterStore;
    }

    /** The devices the network runs on; the first holds the weights. */
    public List<Device> devices() {
        return devices;
    }

    /** Values per image: channels x height x width. */
    public int imageLength() {
        return imageLength;
    }

    /** Optimizer updates the weights have seen. */
    public long step() {
        return step;
    }

    /** After an update, or when a checkpoint's weights are loaded: the step they belong to. */
    public void setStep(long step) {
        this.step = step;
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
        int c = architecture.imageChannels();
        int size = architecture.imageSize();
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
    public <T> T withEmaWeights(Supplier<T> action) {
        return ema.withAveragedWeights(parameters, action);
    }

    @Override
    public void close() {
        manager.close();
    }
}
