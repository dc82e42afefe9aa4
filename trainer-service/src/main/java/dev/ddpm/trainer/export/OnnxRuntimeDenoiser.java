package dev.ddpm.trainer.export;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.ddpm.core.diffusion.Denoiser;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Map;

/**
 * An exported UNet run by ONNX Runtime on the CPU, as a {@link Denoiser}: how the trainer checks an
 * export against the DJL network before publishing it. The sampler has its own batching engine.
 */
public final class OnnxRuntimeDenoiser implements Denoiser, AutoCloseable {

    private final OrtEnvironment environment = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final long[] imageShape;

    /** @param imageShape C, H, W */
    public OnnxRuntimeDenoiser(byte[] model, long... imageShape) {
        this(model, 0, imageShape);
    }

    /**
     * @param threads    intra-op threads (0: ONNX Runtime's default, one per core)
     * @param imageShape C, H, W
     */
    public static OnnxRuntimeDenoiser withThreads(byte[] model, int threads, long... imageShape) {
        return new OnnxRuntimeDenoiser(model, threads, imageShape);
    }

    private OnnxRuntimeDenoiser(byte[] model, int threads, long[] imageShape) {
        this.imageShape = imageShape.clone();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (threads > 0) {
                options.setIntraOpNumThreads(threads);
            }
            // Calls alternate with libtorch's in this process: idle ORT threads must sleep, not spin.
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            this.session = environment.createSession(model, options);
        } catch (OrtException e) {
            throw new InvalidExportException("ONNX Runtime cannot load the exported graph: " + e.getMessage(), e);
        }
    }

    @Override
    public float[][] predict(float[][] x, int[] t) {
        int length = x[0].length;
        FloatBuffer images = FloatBuffer.allocate(x.length * length);
        for (float[] image : x) {
            images.put(image);
        }
        images.flip();
        LongBuffer times = LongBuffer.allocate(t.length);
        for (int timestep : t) {
            times.put(timestep);
        }
        times.flip();
        long[] shape = {x.length, imageShape[0], imageShape[1], imageShape[2]};
        try (OnnxTensor xTensor = OnnxTensor.createTensor(environment, images, shape);
                OnnxTensor tTensor = OnnxTensor.createTensor(environment, times, new long[] {t.length});
                OrtSession.Result result =
                        session.run(Map.of(UNetOnnxExporter.INPUT_X, xTensor, UNetOnnxExporter.INPUT_T, tTensor))) {
            FloatBuffer out = ((OnnxTensor) result.get(0)).getFloatBuffer();
            float[][] predictions = new float[x.length][length];
            for (float[] prediction : predictions) {
                out.get(prediction);
            }
            return predictions;
        } catch (OrtException e) {
            throw new InvalidExportException("ONNX Runtime cannot run the exported graph: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            // closing a session frees native memory; nothing a caller could do about a failure
        }
    }
}
