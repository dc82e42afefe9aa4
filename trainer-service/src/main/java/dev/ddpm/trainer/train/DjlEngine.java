package dev.ddpm.trainer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import org.jboss.logging.Logger;

/**
 * DJL's PyTorch engine, started offline: without these settings DJL tries to download natives and
 * calls a cloud metadata address on first use. The natives come from the Maven dependency
 * ({@code pytorch-native-cpu}, or {@code pytorch-native-cu124} with the {@code cuda} profile).
 */
public final class DjlEngine {

    private static final Logger LOG = Logger.getLogger(DjlEngine.class);

    private DjlEngine() {
    }

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
     * The device to train on: {@code cpu}, {@code gpu} (fails without one), or {@code auto} (a GPU
     * when the engine sees one, else the CPU). Logs one line saying which.
     */
    public static Device select(String choice) {
        Engine engine = Engine.getEngine("PyTorch");
        int gpus = engine.getGpuCount();
        Device device = switch (choice) {
            case "cpu" -> Device.cpu();
            case "gpu" -> {
                if (gpus == 0) {
                    throw new IllegalStateException("trainer.device=gpu but PyTorch " + engine.getVersion()
                            + " sees no CUDA device (is the cuda build and driver present?)");
                }
                yield Device.gpu();
            }
            case "auto" -> gpus > 0 ? Device.gpu() : Device.cpu();
            default -> throw new IllegalArgumentException("trainer.device must be auto, cpu or gpu, was '" + choice + "'");
        };
        LOG.infof("training on %s (PyTorch %s, %d GPU(s) visible, device setting '%s')", device, engine.getVersion(),
                gpus, choice);
        return device;
    }
}
