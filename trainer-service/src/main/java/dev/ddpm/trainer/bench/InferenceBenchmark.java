package dev.ddpm.trainer.bench;

import ai.djl.Device;
import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.diffusion.Denoiser;
import dev.ddpm.core.diffusion.GaussianNoise;
import dev.ddpm.core.diffusion.SeededNoise;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.core.storage.Sha256;
import dev.ddpm.trainer.export.ExportParity;
import dev.ddpm.trainer.export.OnnxRuntimeDenoiser;
import dev.ddpm.trainer.export.UNetOnnxExporter;
import dev.ddpm.trainer.model.UNetPresets;
import dev.ddpm.trainer.train.DiffusionTrainer;
import dev.ddpm.trainer.train.DjlEngine;
import dev.ddpm.trainer.train.TrainingSettings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * UNet evaluations per second through ONNX Runtime vs through DJL/libtorch, same weights, same
 * threads, side by side in one process: {@code scripts/bench-sampler.sh} (see docs/benchmarks.md).
 * Also writes each preset's export and manifest under the output folder for the sampler benchmark.
 *
 * <p>Arguments: output folder, seconds per measurement, presets.
 */
public final class InferenceBenchmark {

    private InferenceBenchmark() {}

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : ".run/bench");
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 5;
        List<String> presets =
                args.length > 2 ? List.of(args).subList(2, args.length) : List.of("tiny", "mnist", "article");
        int threads = Integer.getInteger("threads", 2);
        DjlEngine.configureOffline(threads);
        List<String> rows = new ArrayList<>();
        rows.add("| preset | parameters | batch | DJL evals/s | ONNX Runtime evals/s | ORT / DJL | max abs diff |");
        rows.add("|---|---|---|---|---|---|---|");
        for (String preset : presets) {
            UNetConfig arch = UNetPresets.byName(preset);
            TrainingSettings settings = TrainingSettings.builder()
                    .architecture(arch)
                    .batchSize(1)
                    .learningRate(1e-4f)
                    .warmupSteps(0)
                    .emaDecay(0.999f)
                    .seed(1)
                    .build();
            try (DiffusionTrainer trainer = new DiffusionTrainer(settings, Device.cpu())) {
                byte[] graph = UNetOnnxExporter.export(trainer.network().unet(), settings.diffusion(), Map.of());
                writeModel(out.resolve(preset), preset, arch, settings.diffusion(), graph);
                int length = arch.imageChannels() * arch.imageSize() * arch.imageSize();
                try (OnnxRuntimeDenoiser onnx = OnnxRuntimeDenoiser.withThreads(
                        graph, threads, arch.imageChannels(), arch.imageSize(), arch.imageSize())) {
                    for (int batch : new int[] {1, 16}) {
                        double djl = evalsPerSecond(trainer.network().denoiser(), batch, length, seconds);
                        double ort = evalsPerSecond(onnx, batch, length, seconds);
                        double diff = ExportParity.maxAbsDifference(
                                onnx, trainer.network().denoiser(), batch, length, 1000, 9);
                        String row = String.format(
                                "| %s | %,d | %d | %.1f | %.1f | %.2fx | %.1e |",
                                preset, trainer.network().unet().parameterCount(), batch, djl, ort, ort / djl, diff);
                        System.out.println(row);
                        rows.add(row);
                    }
                }
            }
        }
        System.out.println();
        System.out.println(String.join("\n", rows));
    }

    /** Image evaluations per second, after a warm-up, over about {@code seconds}. */
    static double evalsPerSecond(Denoiser denoiser, int batch, int length, double seconds) {
        float[][] x = new float[batch][];
        int[] t = new int[batch];
        for (int i = 0; i < batch; i++) {
            GaussianNoise noise = SeededNoise.forSample(3, i);
            x[i] = noise.draw(SeededNoise.INITIAL, length);
            t[i] = 999 - 37 * i;
        }
        for (int i = 0; i < 3; i++) {
            denoiser.predict(x, t);
        }
        long start = System.nanoTime();
        long calls = 0;
        while (System.nanoTime() - start < seconds * 1e9) {
            denoiser.predict(x, t);
            calls++;
        }
        return calls * batch / ((System.nanoTime() - start) / 1e9);
    }

    static void writeModel(Path dir, String preset, UNetConfig arch, DiffusionConfig diffusion, byte[] graph) {
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve("unet.onnx"), graph);
            ModelManifest manifest = new ModelManifest(
                    ModelManifest.CURRENT_SCHEMA,
                    "bench-" + preset,
                    "random",
                    Instant.now(),
                    new ModelManifest.Training("bench", 0, false, null),
                    new ModelManifest.Onnx(
                            "bench-" + preset + "/random/unet.onnx",
                            graph.length,
                            Sha256.of(graph),
                            UNetOnnxExporter.OPSET,
                            UNetOnnxExporter.inputs(arch),
                            UNetOnnxExporter.outputs(arch)),
                    new ModelManifest.Image(arch.imageChannels(), arch.imageSize(), arch.imageSize()),
                    diffusion,
                    arch,
                    Map.of(),
                    null,
                    null);
            Files.write(dir.resolve("manifest.json"), Json.write(manifest));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
