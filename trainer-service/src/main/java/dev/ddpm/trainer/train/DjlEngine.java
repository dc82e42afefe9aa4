package dev.ddpm.trainer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;

/**
 * DJL's PyTorch engine, started offline: without these settings DJL tries to download natives and
 * calls a cloud metadata address on first use. The natives come from the Maven dependency
 * ({@code pytorch-native-cpu}, or {@code pytorch-native-cu124} with the {@code cuda} profile).
 */
public final class DjlEngine {

    private static final Logger LOG = Logger.getLogger(DjlEngine.class);

    private DjlEngine() {}

    /** Must run before the first DJL call of the process. */
    public static void configureOffline(int threads) {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        if (threads > 0) {
            System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(threads));
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
    }

    /**
     * Turns libtorch's gradient recording off on the calling thread, as an optimizer's in-place
     * update of the weights needs. Recording is per thread: the engine turns it off only on the thread
     * that started it, every other thread starts with libtorch's default (on), and a gradient
     * collector's close restores what the thread had. Without this, the first update on a worker
     * thread other than the engine's fails with "a leaf Variable that requires grad is being used in
     * an in-place operation".
     */
    public static void gradientsOff() {
        JniUtils.setGradMode(false);
    }

    /** {@link #select(String, int)} with every visible GPU. */
    public static Device select(String choice) {
        return select(choice, 0);
    }

    /**
     * The device to train on: {@code cpu}, {@code gpu} (fails without one), or {@code auto} (a GPU
     * when the engine sees one, else the CPU). With several GPUs visible, up to {@code maxGpus} of
     * them (0: all) train together, data-parallel ({@link Device.MultiDevice}). Logs one line saying
     * which.
     */
    public static Device select(String choice, int maxGpus) {
        Engine engine = Engine.getEngine("PyTorch");
        int visible = engine.getGpuCount();
        if (maxGpus < 0) {
            throw new IllegalArgumentException("trainer.gpus must be 0 (all) or more, was " + maxGpus);
        }
        int gpus = maxGpus == 0 ? visible : Math.min(maxGpus, visible);
        Device device = switch (choice) {
            case "cpu" -> Device.cpu();
            case "gpu" -> {
                if (visible == 0) {
                    throw new IllegalStateException("trainer.device=gpu but PyTorch " + engine.getVersion()
                            + " sees no CUDA device (is the cuda build and driver present?)");
                }
                yield gpus(gpus);
            }
            case "auto" -> visible > 0 ? gpus(gpus) : Device.cpu();
            default ->
                throw new IllegalArgumentException("trainer.device must be auto, cpu or gpu, was '" + choice + "'");
        };
        LOG.infof(
                "training on %s (PyTorch %s, %d GPU(s) visible, device setting '%s'%s)",
                device.getDevices(),
                engine.getVersion(),
                visible,
                choice,
                device.getDevices().size() > 1
                        ? ", data-parallel: each batch split across "
                                + device.getDevices().size() + " GPUs"
                        : "");
        return device;
    }

    private static Device gpus(int count) {
        if (count <= 1) {
            return Device.gpu();
        }
        List<Device> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            all.add(Device.gpu(i));
        }
        return new Device.MultiDevice(all);
    }
}
