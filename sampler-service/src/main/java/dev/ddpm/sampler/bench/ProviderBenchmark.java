package dev.ddpm.sampler.bench;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.json.Json;
import dev.ddpm.sampler.engine.ExecutionProvider;
import dev.ddpm.sampler.engine.LoadedModel;
import dev.ddpm.sampler.engine.OnnxEngine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * UNet evaluations per second of one exported model on ONNX Runtime's CUDA execution provider and
 * on its CPU provider, side by side in one run, at several batch sizes ({@code scripts/gpu-check.sh}).
 * Where the CUDA provider cannot start (no GPU, CUDA or cuDNN libraries missing) it says so and
 * measures the CPU alone; the exit status is then 3.
 *
 * <p>Arguments: the folder with unet.onnx and manifest.json, seconds per measurement, batch sizes.
 */
public final class ProviderBenchmark {

    private ProviderBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : ".run/gpu-check/article");
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 10;
        List<Integer> batches = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            batches.add(Integer.parseInt(args[i]));
        }
        if (batches.isEmpty()) {
            batches = List.of(1, 16, 256);
        }
        ModelManifest manifest = Json.read(Files.readAllBytes(dir.resolve("manifest.json")), ModelManifest.class);
        byte[] graph = Files.readAllBytes(dir.resolve("unet.onnx"));
        double[][] rates = new double[2][batches.size()];
        boolean cuda = false;
        String[] providers = {"cuda", "cpu"};
        for (int p = 0; p < providers.length; p++) {
            LoadedModel model;
            try {
                model = LoadedModel.open(
                        new OnnxEngine(new SamplerBenchmark.BenchConfig(false, providers[p])), manifest, graph);
            } catch (RuntimeException e) {
                if (p > 0) {
                    throw e;
                }
                Throwable cause = e.getCause() == null ? e : e.getCause();
                System.out.println(
                        "[gpu-check] ONNX Runtime's CUDA execution provider did not start: " + cause.getMessage()
                                + "\n[gpu-check] ONNX Runtime 1.29 needs the NVIDIA driver, CUDA 12 (libcublasLt.so.12, libcudart.so.12)"
                                + " and cuDNN 9 (libcudnn.so.9) on the library path (LD_LIBRARY_PATH; the error above names the one"
                                + " missing). Measuring the CPU provider alone.");
                continue;
            }
            try {
                if (p == 0) {
                    cuda = model.provider() == ExecutionProvider.CUDA;
                }
                for (int b = 0; b < batches.size(); b++) {
                    rates[p][b] = evalsPerSecond(model, batches.get(b), seconds);
                    System.out.printf(
                            Locale.ROOT,
                            "[gpu-check] %s provider, batch %d: %.1f evaluations/s%n",
                            providers[p],
                            batches.get(b),
                            rates[p][b]);
                }
            } finally {
                model.retire();
            }
        }
        System.out.println();
        System.out.println("| model | batch | CUDA EP evals/s | CPU EP evals/s | CUDA / CPU |");
        System.out.println("|---|---|---|---|---|");
        for (int b = 0; b < batches.size(); b++) {
            System.out.printf(
                    Locale.ROOT,
                    "| %s | %d | %s | %.1f | %s |%n",
                    manifest.name(),
                    batches.get(b),
                    cuda ? String.format(Locale.ROOT, "%.1f", rates[0][b]) : "unavailable",
                    rates[1][b],
                    cuda ? String.format(Locale.ROOT, "%.1fx", rates[0][b] / rates[1][b]) : "-");
        }
        if (!cuda) {
            System.exit(3);
        }
    }

    /** Images evaluated per second at {@code batch}, after one warm-up call; at least two timed calls. */
    static double evalsPerSecond(LoadedModel model, int batch, double seconds) {
        int length = model.imageLength();
        float[] x = new float[batch * length];
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        long[] t = new long[batch];
        for (int i = 0; i < batch; i++) {
            t[i] = random.nextInt(model.manifest().diffusion().timesteps());
        }
        model.predict(x, t, batch);
        long start = System.nanoTime();
        int calls = 0;
        while (calls < 2 || System.nanoTime() - start < seconds * 1e9) {
            model.predict(x, t, batch);
            calls++;
        }
        return calls * batch / ((System.nanoTime() - start) / 1e9);
    }
}
