package dev.ddpm.sampler.engine;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.ddpm.sampler.config.SamplerConfig;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * ONNX Runtime for the whole service: one environment, and the execution provider chosen once.
 * {@code auto} tries CUDA only where a GPU is actually present (ORT's provider list names CUDA on
 * any machine with the GPU build, so it cannot tell) and falls back to the CPU with one log line.
 */
@Singleton
public class OnnxEngine {

    private static final Logger LOG = Logger.getLogger(OnnxEngine.class);

    private final OrtEnvironment environment = OrtEnvironment.getEnvironment();
    private final SamplerConfig config;
    private volatile ExecutionProvider provider;

    public OnnxEngine(SamplerConfig config) {
        this.config = config;
    }

    /** With metrics: {@code ddpm_sampler_execution_provider{provider}} is 1 for the provider in use. */
    @jakarta.inject.Inject
    public OnnxEngine(SamplerConfig config, io.micrometer.core.instrument.MeterRegistry meters) {
        this(config);
        for (ExecutionProvider p : ExecutionProvider.values()) {
            meters.gauge(
                    "ddpm_sampler_execution_provider",
                    io.micrometer.core.instrument.Tags.of("provider", p.label()),
                    this,
                    engine -> engine.provider() == p ? 1 : 0);
        }
    }

    public OrtEnvironment environment() {
        return environment;
    }

    /** The execution provider of every ONNX Runtime session here, decided when the first one opens. */
    public ExecutionProvider provider() {
        return provider == null ? ExecutionProvider.CPU : provider;
    }

    /** A session for the graph, on the chosen provider. */
    public synchronized OrtSession open(byte[] model) throws OrtException {
        String wanted = config.executionProvider().toLowerCase(Locale.ROOT);
        if (provider == null) {
            provider = switch (wanted) {
                case "cpu" -> ExecutionProvider.CPU;
                case "cuda" -> ExecutionProvider.CUDA;
                case "auto" -> gpuPresent() ? ExecutionProvider.CUDA : ExecutionProvider.CPU;
                default ->
                    throw new IllegalArgumentException(
                            "sampler.execution-provider must be auto, cuda or cpu, was '" + wanted + "'");
            };
            if (provider == ExecutionProvider.CPU) {
                LOG.infof("ONNX Runtime on the CPU (%s)", wanted.equals("cpu") ? "configured" : "no GPU present");
            }
        }
        if (provider == ExecutionProvider.CUDA) {
            try {
                OrtSession session = environment.createSession(model, options(true));
                LOG.infof("ONNX Runtime on CUDA device 0");
                return session;
            } catch (OrtException | RuntimeException e) {
                if (wanted.equals("cuda")) {
                    throw e;
                }
                LOG.warnf("CUDA execution provider unavailable (%s); falling back to the CPU", e.getMessage());
                provider = ExecutionProvider.CPU;
            }
        }
        return environment.createSession(model, options(false));
    }

    private OrtSession.SessionOptions options(boolean cuda) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        if (config.intraOpThreads() > 0) {
            options.setIntraOpNumThreads(config.intraOpThreads());
        }
        // One batcher thread calls the session; idle pool threads should not spin against it.
        options.addConfigEntry("session.intra_op.allow_spinning", "0");
        if (cuda) {
            options.addCUDA(0);
        }
        return options;
    }

    /** A GPU is present when the NVIDIA driver is loaded (what CUDA itself would need). */
    static boolean gpuPresent() {
        return Files.exists(Path.of("/proc/driver/nvidia/version")) || Files.exists(Path.of("/dev/nvidia0"));
    }
}
