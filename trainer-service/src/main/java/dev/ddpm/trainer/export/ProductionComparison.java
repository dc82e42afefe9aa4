package dev.ddpm.trainer.export;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.diffusion.Denoiser;
import dev.ddpm.core.diffusion.ReverseProcess;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.diffusion.SchedulerSettings;
import dev.ddpm.core.diffusion.Schedulers;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.lifecycle.Evaluation;
import dev.ddpm.core.lifecycle.QualityGate;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.signing.ManifestVerifier;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.trainer.eval.SampleProbe;

import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The quality gate of a run's final export: the candidate (its exported graph) and the model's
 * production version (its manifest, whose signature must be this trainer's, and {@code unet.onnx}
 * from the models bucket, checked against the manifest's sha256, sampled with its own diffusion
 * settings) both sample {@link SampleProbe#samples()} images from the
 * same noises with the default sampler, and the run's probe scores both; {@link QualityGate} gives
 * the verdict.
 */
public final class ProductionComparison implements ModelPublisher.Gate {

    private final ArtifactStore store;
    private final ManifestVerifier signatures;
    private final Supplier<SampleProbe> probe;
    private final long seed;

    /**
     * @param signatures the keys a production manifest must be signed by: its graph is loaded into ONNX
     *                   Runtime here, in the process that holds the signing key, so a graph someone else
     *                   placed in the models bucket must not get that far
     * @param probe what to score the samples with; asked for only when there is a production version to
     *              compare with (a probe may cost a classifier's training)
     * @param seed  the noises both models start from
     */
    public ProductionComparison(
            ArtifactStore store, ManifestVerifier signatures, Supplier<SampleProbe> probe, long seed) {
        this.store = store;
        this.signatures = signatures;
        this.probe = probe;
        this.seed = seed;
    }

    @Override
    public Evaluation evaluate(
            String model,
            String productionVersion,
            double margin,
            Denoiser candidate,
            DiffusionConfig diffusion,
            ModelManifest.Image image) {
        String key = model + "/" + productionVersion + "/manifest.json";
        byte[] manifest = store.get(Buckets.MODELS, key);
        signatures.verify(store, Buckets.MODELS, key, manifest);
        ModelManifest production = Json.read(manifest, ModelManifest.class);
        if (!production.image().equals(image)) {
            throw new IllegalStateException("production " + productionVersion + " makes " + describe(production.image())
                    + " images, the candidate " + describe(image) + ": no common probe");
        }
        ModelManifest.Onnx onnx = production.onnx();
        byte[] graph = store.get(new ObjectRef(Buckets.MODELS, onnx.key(), onnx.sizeBytes(), onnx.sha256()));
        SampleProbe scores = probe.get();
        Map<String, Double> candidateFigures = scores.measure(sample(candidate, diffusion, scores.samples(), image));
        Map<String, Double> productionFigures;
        try (OnnxRuntimeDenoiser served =
                new OnnxRuntimeDenoiser(graph, image.channels(), image.height(), image.width())) {
            productionFigures = scores.measure(sample(served, production.diffusion(), scores.samples(), image));
        }
        String description = scores.samples() + " samples each, "
                + SamplingRequest.DEFAULT_SAMPLER.name().toLowerCase(Locale.ROOT)
                + " sampler at its default steps from seed " + seed + "; " + scores.description();
        return QualityGate.compare(productionVersion, description, candidateFigures, productionFigures, margin);
    }

    private float[][] sample(Denoiser denoiser, DiffusionConfig diffusion, int count, ModelManifest.Image image) {
        SamplerKind kind = SamplingRequest.DEFAULT_SAMPLER;
        return ReverseProcess.sample(
                denoiser,
                () -> Schedulers.create(diffusion, SchedulerSettings.of(kind)),
                count,
                image.channels() * image.height() * image.width(),
                seed,
                0);
    }

    private static String describe(ModelManifest.Image image) {
        return image.channels() + "x" + image.height() + "x" + image.width();
    }
}
