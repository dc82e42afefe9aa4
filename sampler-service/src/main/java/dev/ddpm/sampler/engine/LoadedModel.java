package dev.ddpm.sampler.engine;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.diffusion.GuidedDenoiser;
import dev.ddpm.core.model.TensorSpec;
import org.jboss.logging.Logger;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One model version in ONNX Runtime: its manifest and session, checked against each other and warmed
 * up before it may serve. Requests hold it through {@link Lease}s; once retired (a newer version took
 * its place, or it was unloaded) the session is closed when the last lease is given back, so memory
 * does not grow with the number of swaps. A manifest with a guide (autoguidance) gets a second
 * session for the guide network, and every prediction is the model's extrapolated away from the
 * guide's ({@link GuidedDenoiser#extrapolate}).
 */
public final class LoadedModel {

    private static final Logger LOG = Logger.getLogger(LoadedModel.class);

    private final ModelManifest manifest;
    private final OrtEnvironment environment;
    private final OrtSession session;
    private final OrtSession guideSession;
    private final ExecutionProvider provider;
    private final Instant loadedAt = Instant.now();
    private final AtomicInteger leases = new AtomicInteger();
    private volatile boolean retired;
    private volatile boolean closed;
    private final String inputX;
    private final String inputT;

    private LoadedModel(
            ModelManifest manifest,
            OrtEnvironment environment,
            OrtSession session,
            OrtSession guideSession,
            ExecutionProvider provider) {
        this.manifest = manifest;
        this.environment = environment;
        this.session = session;
        this.guideSession = guideSession;
        this.provider = provider;
        this.inputX = manifest.onnx().inputs().get(0).name();
        this.inputT = manifest.onnx().inputs().get(1).name();
    }

    /**
     * Opens the graph, checks its interface against the manifest and runs a warm-up batch.
     *
     * @throws ModelRejectedException when the graph does not parse, disagrees with the manifest, or
     *                                does not produce finite output of the right shape
     */
    public static LoadedModel open(OnnxEngine engine, ModelManifest manifest, byte[] graph) {
        return open(engine, manifest, graph, null);
    }

    /**
     * As {@link #open(OnnxEngine, ModelManifest, byte[])} for a manifest that names a guide, with the
     * guide's graph ({@code guideGraph} null exactly when the manifest has no guide).
     */
    public static LoadedModel open(OnnxEngine engine, ModelManifest manifest, byte[] graph, byte[] guideGraph) {
        if ((manifest.guide() == null) != (guideGraph == null)) {
            throw new IllegalArgumentException("a guide graph is needed exactly when the manifest names a guide");
        }
        OrtSession session = session(engine, graph, "the ONNX graph");
        OrtSession guideSession;
        try {
            guideSession = guideGraph == null ? null : session(engine, guideGraph, "the guide's ONNX graph");
        } catch (ModelRejectedException e) {
            closeQuietly(session);
            throw e;
        }
        LoadedModel model = new LoadedModel(manifest, engine.environment(), session, guideSession, engine.provider());
        try {
            model.checkInterface(session, manifest.onnx(), "");
            if (guideSession != null) {
                model.checkInterface(guideSession, manifest.guide().onnx(), "the guide: ");
            }
            model.warmUp();
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e instanceof ModelRejectedException ? e : new ModelRejectedException(e.getMessage(), e);
        }
    }

    private static OrtSession session(OnnxEngine engine, byte[] graph, String what) {
        try {
            return engine.open(graph);
        } catch (OrtException | RuntimeException e) {
            throw new ModelRejectedException(what + " does not load: " + e.getMessage(), e);
        }
    }

    public ModelManifest manifest() {
        return manifest;
    }

    public String name() {
        return manifest.name();
    }

    public String version() {
        return manifest.version();
    }

    public ExecutionProvider provider() {
        return provider;
    }

    public Instant loadedAt() {
        return loadedAt;
    }

    /** C*H*W of one image. */
    public int imageLength() {
        ModelManifest.Image image = manifest.image();
        return image.channels() * image.height() * image.width();
    }

    public int activeLeases() {
        return leases.get();
    }

    public boolean closed() {
        return closed;
    }

    /** A hold on this version for one request; null once it is retired (take the current version instead). */
    public Lease lease() {
        leases.incrementAndGet();
        if (retired) {
            release();
            return null;
        }
        return new Lease(this);
    }

    /** No new leases; the session closes after the last one is given back. */
    public void retire() {
        retired = true;
        if (leases.get() == 0) {
            close();
        }
    }

    private void release() {
        if (leases.decrementAndGet() == 0 && retired) {
            close();
        }
    }

    /**
     * One network call for {@code n} images (x flattened N*C*H*W, one timestep each).
     *
     * @return the prediction, flattened like x
     */
    public float[] predict(float[] x, long[] t, int n) {
        float[] prediction = run(session, x, t, n, "");
        if (guideSession == null) {
            return prediction;
        }
        return GuidedDenoiser.extrapolate(
                prediction,
                run(guideSession, x, t, n, "the guide of "),
                manifest.guide().weight());
    }

    private float[] run(OrtSession session, float[] x, long[] t, int n, String which) {
        ModelManifest.Image image = manifest.image();
        long[] shape = {n, image.channels(), image.height(), image.width()};
        try (OnnxTensor xTensor =
                        OnnxTensor.createTensor(environment, FloatBuffer.wrap(x, 0, n * imageLength()), shape);
                OnnxTensor tTensor = OnnxTensor.createTensor(environment, LongBuffer.wrap(t, 0, n), new long[] {n});
                OrtSession.Result result = session.run(Map.of(inputX, xTensor, inputT, tTensor))) {
            FloatBuffer out = ((OnnxTensor) result.get(0)).getFloatBuffer();
            if (out.remaining() != n * imageLength()) {
                throw new IllegalStateException(which + "model " + name() + " " + version() + " returned "
                        + out.remaining() + " values for " + n + " images of " + imageLength());
            }
            float[] prediction = new float[out.remaining()];
            out.get(prediction);
            return prediction;
        } catch (OrtException e) {
            throw new IllegalStateException(
                    "ONNX Runtime failed on " + which + "model " + name() + " " + version() + ": " + e.getMessage(), e);
        }
    }

    private void checkInterface(OrtSession session, ModelManifest.Onnx onnx, String which) {
        try {
            checkInterface(session, onnx);
        } catch (ModelRejectedException e) {
            throw which.isEmpty() ? e : new ModelRejectedException(which + e.getMessage(), e);
        }
    }

    private void checkInterface(OrtSession session, ModelManifest.Onnx onnx) {
        try {
            List<TensorSpec> inputs = onnx.inputs();
            List<TensorSpec> outputs = onnx.outputs();
            if (inputs.size() != 2 || outputs.size() != 1) {
                throw new ModelRejectedException("the manifest must declare inputs x, t and one output; it has "
                        + inputs.size() + " inputs and " + outputs.size() + " outputs");
            }
            Map<String, NodeInfo> graphInputs = session.getInputInfo();
            Map<String, NodeInfo> graphOutputs = session.getOutputInfo();
            for (TensorSpec spec : inputs) {
                check("input", spec, graphInputs.get(spec.name()));
            }
            check("output", outputs.get(0), graphOutputs.get(outputs.get(0).name()));
            ModelManifest.Image image = manifest.image();
            List<String> expected = List.of(
                    "N",
                    Integer.toString(image.channels()),
                    Integer.toString(image.height()),
                    Integer.toString(image.width()));
            if (!dimsMatch(inputs.get(0).shape(), expected)
                    || !dimsMatch(outputs.get(0).shape(), expected)) {
                throw new ModelRejectedException("manifest image " + image + " disagrees with its tensor shapes "
                        + inputs.get(0).shape() + " / " + outputs.get(0).shape());
            }
        } catch (OrtException e) {
            throw new ModelRejectedException("cannot read the graph's interface: " + e.getMessage(), e);
        }
    }

    private static boolean dimsMatch(List<String> actual, List<String> expected) {
        return actual.size() == expected.size()
                && actual.subList(1, actual.size()).equals(expected.subList(1, expected.size()));
    }

    private static void check(String kind, TensorSpec spec, NodeInfo node) {
        if (node == null || !(node.getInfo() instanceof TensorInfo info)) {
            throw new ModelRejectedException(
                    "the graph has no tensor " + kind + " '" + spec.name() + "' that the manifest names");
        }
        OnnxJavaType type = info.type;
        boolean typeOk = switch (spec.elementType()) {
            case "float32" -> type == OnnxJavaType.FLOAT;
            case "int64" -> type == OnnxJavaType.INT64;
            default -> false;
        };
        if (!typeOk) {
            throw new ModelRejectedException(kind + " '" + spec.name() + "' is " + type + " in the graph, "
                    + spec.elementType() + " in the manifest");
        }
        long[] dims = info.getShape();
        if (dims.length != spec.shape().size()) {
            throw new ModelRejectedException(kind + " '" + spec.name() + "' has shape " + Arrays.toString(dims)
                    + " in the graph, " + spec.shape() + " in the manifest");
        }
        for (int i = 0; i < dims.length; i++) {
            String declared = spec.shape().get(i);
            boolean symbolic = !declared.chars().allMatch(Character::isDigit);
            if (symbolic ? dims[i] > 0 : dims[i] != Long.parseLong(declared)) {
                throw new ModelRejectedException(kind + " '" + spec.name() + "' has shape " + Arrays.toString(dims)
                        + " in the graph, " + spec.shape() + " in the manifest");
            }
        }
    }

    /** One call at batch 1 and one at batch 2 (first calls allocate): finite output or rejection. */
    private void warmUp() {
        for (int n = 1; n <= 2; n++) {
            float[] x = new float[n * imageLength()];
            long[] t = new long[n];
            for (int i = 0; i < n; i++) {
                t[i] = manifest.diffusion().timesteps() - 1L - i;
            }
            float[] out = predict(x, t, n);
            for (float v : out) {
                if (!Float.isFinite(v)) {
                    throw new ModelRejectedException("the graph returns non-finite values on its warm-up batch");
                }
            }
        }
    }

    private synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly(session);
        if (guideSession != null) {
            closeQuietly(guideSession);
        }
        LOG.infof("unloaded model %s version %s", name(), version());
    }

    private static void closeQuietly(OrtSession session) {
        try {
            session.close();
        } catch (OrtException e) {
            LOG.warnf("closing an ONNX Runtime session: %s", e.getMessage());
        }
    }

    /** A request's hold on one version: that version serves it to the end, whatever is swapped in meanwhile. */
    public static final class Lease implements AutoCloseable {
        private final LoadedModel model;
        private boolean released;

        private Lease(LoadedModel model) {
            this.model = model;
        }

        public LoadedModel model() {
            return model;
        }

        @Override
        public synchronized void close() {
            if (!released) {
                released = true;
                model.release();
            }
        }
    }
}
