package dev.ddpm.service.testing;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.diffusion.Denoiser;
import dev.ddpm.core.diffusion.NoiseSchedule;
import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.ModelPublished;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.TensorSpec;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.core.onnx.OnnxGraph;
import dev.ddpm.core.onnx.proto.OnnxProto.TensorProto.DataType;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectRef;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A model whose ideal answer is known in closed form: the exact noise predictor for data
 * x_0 ~ N(mu, s^2 I), eps(x_t, t) = sqrt(1 - abar_t) (x_t - sqrt(abar_t) mu) / (abar_t s^2 + 1 - abar_t).
 * A correct sampler turns seeded noise into images distributed as N(mu, s^2 I), so tests can check
 * the numbers (not just that something came back), tell versions apart by their mu, and see seeds.
 */
public record GaussianModel(String name, String version, float[] mu, double s, int channels, int size) {

    public static final DiffusionConfig DIFFUSION = DiffusionConfig.ho2020();

    /** A pattern per "version": stripes whose phase depends on {@code shift}, in [-0.6, 0.6]. */
    public static float[] pattern(int channels, int size, int shift) {
        float[] mu = new float[channels * size * size];
        for (int i = 0; i < mu.length; i++) {
            mu[i] = ((i / size + shift) % 4 < 2) ? 0.6f : -0.6f;
        }
        return mu;
    }

    /** The same predictor in Java, for ddpm-core's reverse process to compare with the served one. */
    public Denoiser denoiser() {
        NoiseSchedule schedule = NoiseSchedule.from(DIFFUSION);
        return (x, t) -> {
            float[][] out = new float[x.length][];
            for (int n = 0; n < x.length; n++) {
                double abar = schedule.alphaBar(t[n]);
                float a = (float) Math.sqrt(abar);
                float b = (float) (Math.sqrt(1 - abar) / (abar * s * s + 1 - abar));
                out[n] = new float[x[n].length];
                for (int i = 0; i < out[n].length; i++) {
                    out[n][i] = (x[n][i] - a * mu[i]) * b;
                }
            }
            return out;
        };
    }

    public byte[] graph() {
        NoiseSchedule schedule = NoiseSchedule.from(DIFFUSION);
        int steps = schedule.timesteps();
        float[] a = new float[steps];
        float[] b = new float[steps];
        for (int t = 0; t < steps; t++) {
            double abar = schedule.alphaBar(t);
            a[t] = (float) Math.sqrt(abar);
            b[t] = (float) (Math.sqrt(1 - abar) / (abar * s * s + 1 - abar));
        }
        OnnxGraph g = new OnnxGraph("gaussian");
        g.input("x", DataType.FLOAT, "N", channels, size, size);
        g.input("t", DataType.INT64, "N");
        String column = g.longs("column", -1, 1, 1, 1);
        String at = g.reshape("a_t", g.node("Gather", "a_gather", List.of(g.floats("a", a, steps), "t")), column);
        String bt = g.reshape("b_t", g.node("Gather", "b_gather", List.of(g.floats("b", b, steps), "t")), column);
        String mean = g.mul("mean", at, g.floats("mu", mu, 1, channels, size, size));
        String centred = g.node("Sub", "centred", List.of("x", mean));
        g.identity(g.mul("eps", centred, bt), "prediction");
        g.output("prediction", DataType.FLOAT, "N", channels, size, size);
        return g.toModel(8, 17, "sampler-tests", "closed-form noise predictor of N(mu, s^2 I)", Map.of());
    }

    public ModelManifest manifest(byte[] graph, ObjectRef graphRef, Instant createdAt) {
        String c = Integer.toString(channels);
        String n = Integer.toString(size);
        return new ModelManifest(
                ModelManifest.CURRENT_SCHEMA,
                name,
                version,
                createdAt,
                new ModelManifest.Training("analytic", 0, false, null),
                new ModelManifest.Onnx(
                        graphRef.key(),
                        graph.length,
                        graphRef.sha256(),
                        17,
                        List.of(
                                new TensorSpec("x", "float32", List.of("N", c, n, n)),
                                new TensorSpec("t", "int64", List.of("N"))),
                        List.of(new TensorSpec("prediction", "float32", List.of("N", c, n, n)))),
                new ModelManifest.Image(channels, size, size),
                DIFFUSION,
                new UNetConfig(channels, size, 16, List.of(1), List.of(), 1, 4, 0.0),
                Map.of("s", s),
                null,
                null);
    }

    /** Uploads graph then manifest, and announces the version; returns the manifest's reference. */
    public ObjectRef publish(ArtifactStore store, EventPublisher events) {
        return publish(store, events, manifest(graph(), upload(store, "unet.onnx", graph()), Instant.now()));
    }

    /** As {@link #publish(ArtifactStore, EventPublisher)}, with the manifest claiming {@code createdAt}. */
    public ObjectRef publishDated(ArtifactStore store, EventPublisher events, Instant createdAt) {
        return publish(store, events, manifest(graph(), upload(store, "unet.onnx", graph()), createdAt));
    }

    /**
     * As {@link #publish}, autoguided (weight w) by the exact predictor of the wider N(mu, guideS^2 I):
     * a "weaker model" whose error is a larger version of this one's, as an early checkpoint's is.
     */
    public ObjectRef publishGuided(ArtifactStore store, EventPublisher events, double guideS, double weight) {
        byte[] graph = graph();
        return publish(
                store,
                events,
                guidedManifest(
                        graph,
                        upload(store, "unet.onnx", graph),
                        upload(
                                store,
                                "guide.onnx",
                                new GaussianModel(name, version, mu, guideS, channels, size).graph()),
                        weight,
                        Instant.now()));
    }

    /** The manifest of this model autoguided by the graph at {@code guideRef} (same interface). */
    public ModelManifest guidedManifest(
            byte[] graph, ObjectRef graphRef, ObjectRef guideRef, double weight, Instant createdAt) {
        ModelManifest plain = manifest(graph, graphRef, createdAt);
        ModelManifest.Onnx guideOnnx = new ModelManifest.Onnx(
                guideRef.key(),
                guideRef.sizeBytes(),
                guideRef.sha256(),
                plain.onnx().opset(),
                plain.onnx().inputs(),
                plain.onnx().outputs());
        return new ModelManifest(
                plain.schemaVersion(),
                name,
                version,
                createdAt,
                plain.training(),
                plain.onnx(),
                plain.image(),
                plain.diffusion(),
                plain.architecture(),
                plain.metrics(),
                new ModelManifest.Guide(guideOnnx, new ModelManifest.Training("analytic", 0, false, null), weight),
                null);
    }

    private ObjectRef upload(ArtifactStore store, String file, byte[] graph) {
        return store.put(Buckets.MODELS, name + "/" + version + "/" + file, graph, "application/octet-stream");
    }

    private ObjectRef publish(ArtifactStore store, EventPublisher events, ModelManifest manifest) {
        ObjectRef manifestRef =
                TestOnlySigningKeys.putSignedManifest(store, name + "/" + version + "/manifest.json", manifest);
        events.publishAndWait(
                CloudEvent.of("/tests", new ModelPublished(name, version, manifestRef.key(), manifestRef.sha256())),
                Duration.ofSeconds(30));
        return manifestRef;
    }
}
