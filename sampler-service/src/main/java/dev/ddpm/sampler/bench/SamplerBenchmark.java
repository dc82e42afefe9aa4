package dev.ddpm.sampler.bench;

import dev.ddpm.core.diffusion.DdpmVariance;
import dev.ddpm.core.events.OutputFormat;
import dev.ddpm.core.events.SamplerKind;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.model.ModelManifest;
import dev.ddpm.sampler.batching.JobListener;
import dev.ddpm.sampler.batching.SampleSpec;
import dev.ddpm.sampler.batching.SamplingJob;
import dev.ddpm.sampler.batching.StepBatcher;
import dev.ddpm.sampler.config.SamplerConfig;
import dev.ddpm.sampler.engine.LoadedModel;
import dev.ddpm.sampler.engine.OnnxEngine;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sampler's engine measured on this machine, side by side in one run ({@code
 * scripts/bench-sampler.sh}, see docs/benchmarks.md): images/s of DDPM-1000 against DDIM-50, and
 * throughput with p50/p99 latency for 1, 4 and 16 concurrent clients, step-level batching on and off.
 *
 * <p>Arguments: the folder with unet.onnx and manifest.json, seconds per concurrency measurement.
 */
public final class SamplerBenchmark {

    private SamplerBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : ".run/bench/mnist");
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 20;
        ModelManifest manifest = Json.read(Files.readAllBytes(dir.resolve("manifest.json")), ModelManifest.class);
        byte[] graph = Files.readAllBytes(dir.resolve("unet.onnx"));
        List<String> rows = new ArrayList<>();

        rows.add("| sampler | images per request | seconds | images/s |");
        rows.add("|---|---|---|---|");
        try (Bench bench = new Bench(manifest, graph, true)) {
            for (SamplerKind kind : List.of(SamplerKind.DDIM, SamplerKind.DDPM)) {
                int steps = kind == SamplerKind.DDIM ? 50 : 1000;
                long start = System.nanoTime();
                bench.run(16, kind, steps).get(30, TimeUnit.MINUTES);
                double s = (System.nanoTime() - start) / 1e9;
                String row = String.format("| %s-%d | 16 | %.1f | %.2f |", kind, steps, s, 16 / s);
                System.out.println(row);
                rows.add(row);
            }
        }
        rows.add("");
        rows.add("| batching | clients | requests | images/s | p50 latency (s) | p99 latency (s) | vs 1 client |");
        rows.add("|---|---|---|---|---|---|---|");
        for (boolean batching : new boolean[]{true, false}) {
            double single = 0;
            for (int clients : new int[]{1, 4, 16}) {
                try (Bench bench = new Bench(manifest, graph, batching)) {
                    double[] r = bench.concurrent(clients, seconds);
                    if (clients == 1) {
                        single = r[0];
                    }
                    String row = String.format("| %s | %d | %.0f | %.2f | %.2f | %.2f | %.2fx |", batching ? "on" : "off",
                            clients, r[3], r[0], r[1], r[2], r[0] / single);
                    System.out.println(row);
                    rows.add(row);
                }
            }
        }
        System.out.println();
        System.out.println("model " + manifest.architecture() + ", DDIM-50 requests of 1 image in the concurrency table");
        System.out.println(String.join("\n", rows));
    }

    /** One engine, model and batcher, as the service wires them. */
    private static final class Bench implements AutoCloseable {
        private final LoadedModel model;
        private final StepBatcher batcher;
        private final AtomicLong ids = new AtomicLong();

        Bench(ModelManifest manifest, byte[] graph, boolean batching) {
            SamplerConfig config = new BenchConfig(batching);
            this.model = LoadedModel.open(new OnnxEngine(config), manifest, graph);
            this.batcher = new StepBatcher(config, new SimpleMeterRegistry());
            batcher.start();
        }

        CompletableFuture<Void> run(int count, SamplerKind kind, int steps) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            SampleSpec spec = new SampleSpec(model.name(), null, count, kind, steps, 0, ids.incrementAndGet(),
                    OutputFormat.PNG, true, DdpmVariance.FIXED_SMALL, 0);
            batcher.submit(new SamplingJob(Long.toString(ids.get()), spec, model.lease(), new JobListener() {
                public void completed(ModelManifest m, float[][] images, List<float[][]> frames, double s) {
                    done.complete(null);
                }

                public void failed(RuntimeException error) {
                    done.completeExceptionally(error);
                }
            }));
            return done;
        }

        /** {images/s, p50, p99, requests} with {@code clients} closed-loop clients for about {@code seconds}. */
        double[] concurrent(int clients, double seconds) throws Exception {
            List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            long end = System.nanoTime() + (long) (seconds * 1e9);
            long start = System.nanoTime();
            List<Future<?>> loops = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                loops.add(pool.submit(() -> {
                    while (System.nanoTime() < end) {
                        long t0 = System.nanoTime();
                        run(1, SamplerKind.DDIM, 50).get(10, TimeUnit.MINUTES);
                        latencies.add((System.nanoTime() - t0) / 1e9);
                    }
                    return null;
                }));
            }
            for (Future<?> loop : loops) {
                loop.get();
            }
            double wall = (System.nanoTime() - start) / 1e9;
            pool.shutdown();
            List<Double> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            return new double[]{sorted.size() / wall, percentile(sorted, 0.5), percentile(sorted, 0.99), sorted.size()};
        }

        private static double percentile(List<Double> sorted, double q) {
            return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
        }

        @Override
        public void close() {
            batcher.stop();
            model.retire();
        }
    }

    /** The service's defaults, with room for 16 waiting clients. */
    private record BenchConfig(boolean batching) implements SamplerConfig {
        public String executionProvider() { return "auto"; }
        public int intraOpThreads() { return 0; }
        public Optional<List<String>> models() { return Optional.empty(); }
        public int maxBatch() { return 16; }
        public int queueCapacity() { return 64; }
        public int maxImagesPerRequest() { return 64; }
        public Duration retryAfter() { return Duration.ofSeconds(2); }
        public boolean followPublications() { return false; }
    }
}
