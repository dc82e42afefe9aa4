package dev.ddpm.sampler.bench;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.api.OutputFormat;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.json.Json;
import dev.ddpm.sampler.batching.JobListener;
import dev.ddpm.sampler.batching.Priority;
import dev.ddpm.sampler.batching.SamplingJob;
import dev.ddpm.sampler.batching.StepBatcher;
import dev.ddpm.sampler.config.SamplerConfig;
import dev.ddpm.sampler.engine.LoadedModel;
import dev.ddpm.sampler.engine.OnnxEngine;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.runtime.configuration.MemorySize;

import java.math.BigInteger;
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
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sampler's engine measured on this machine, side by side in one run ({@code
 * scripts/bench-sampler.sh}, see docs/benchmarks.md): images/s of DDPM-1000 against DDIM-50, and
 * throughput with p50/p99 latency for 1, 4 and 16 concurrent clients, step-level batching on and off,
 * and small interactive requests' latency while large requests keep the batch full.
 *
 * <p>Arguments: the folder with unet.onnx and manifest.json, seconds per measurement, and
 * {@code mixed} to run the mixed-load table alone.
 */
public final class SamplerBenchmark {

    private SamplerBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : ".run/bench/mnist");
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 20;
        boolean mixedOnly = args.length > 2 && args[2].equals("mixed");
        ModelManifest manifest = Json.read(Files.readAllBytes(dir.resolve("manifest.json")), ModelManifest.class);
        byte[] graph = Files.readAllBytes(dir.resolve("unet.onnx"));
        List<String> rows = new ArrayList<>();
        rows.addAll(mixedLoad(manifest, graph, seconds));
        if (!mixedOnly) {
            rows.add("");
            rows.addAll(samplers(manifest, graph));
            rows.add("");
            rows.addAll(concurrency(manifest, graph, seconds));
        }
        System.out.println();
        System.out.println("model " + manifest.architecture() + ", max batch " + BenchConfig.MAX_BATCH);
        System.out.println(String.join("\n", rows));
    }

    /**
     * Small interactive requests (4 closed-loop clients, 1-image DDIM-20) alone, large ones (2
     * closed-loop clients, 64-image DDPM-250) alone, then both at once.
     */
    private static List<String> mixedLoad(ModelManifest manifest, byte[] graph, double seconds) throws Exception {
        List<String> rows = new ArrayList<>();
        rows.add("| load | small requests | small p50 (s) | small p99 (s) | large evaluations/s |");
        rows.add("|---|---|---|---|---|");
        Load small = new Load(4, 1, SamplerKind.DDIM, 20);
        Load large = new Load(2, 64, SamplerKind.DDPM, 250);
        double[] smallAlone;
        double largeAlone;
        double[] smallMixed;
        double largeMixed;
        try (Bench bench = new Bench(manifest, graph, true)) {
            smallAlone = bench.closedLoop(List.of(small), seconds).get(0);
            largeAlone = bench.closedLoop(List.of(large), seconds).get(0)[3];
            List<double[]> both = bench.closedLoop(List.of(small, large), seconds);
            smallMixed = both.get(0);
            largeMixed = both.get(1)[3];
        }
        rows.add(String.format("| small alone | %.0f | %.3f | %.3f | |", smallAlone[0], smallAlone[1], smallAlone[2]));
        rows.add(String.format("| large alone | | | | %.0f |", largeAlone));
        rows.add(String.format(
                "| small + large | %.0f | %.3f | %.3f | %.0f |",
                smallMixed[0], smallMixed[1], smallMixed[2], largeMixed));
        rows.add(String.format(
                "| under load vs alone | | %.2fx | %.2fx | %.0f %% |",
                smallMixed[1] / smallAlone[1], smallMixed[2] / smallAlone[2], 100 * largeMixed / largeAlone));
        rows.forEach(System.out::println);
        return rows;
    }

    private static List<String> samplers(ModelManifest manifest, byte[] graph) throws Exception {
        List<String> rows = new ArrayList<>();
        rows.add("| sampler | images per request | seconds | images/s |");
        rows.add("|---|---|---|---|");
        try (Bench bench = new Bench(manifest, graph, true)) {
            for (SamplerKind kind : List.of(SamplerKind.DDIM, SamplerKind.DDPM)) {
                int steps = kind == SamplerKind.DDIM ? 50 : 1000;
                long start = System.nanoTime();
                bench.run(16, kind, steps, new AtomicLong()).get(30, TimeUnit.MINUTES);
                double s = (System.nanoTime() - start) / 1e9;
                String row = String.format("| %s-%d | 16 | %.1f | %.2f |", kind, steps, s, 16 / s);
                System.out.println(row);
                rows.add(row);
            }
        }
        return rows;
    }

    /** 1-image DDIM-50 requests from 1, 4 and 16 closed-loop clients, step-level batching on and off. */
    private static List<String> concurrency(ModelManifest manifest, byte[] graph, double seconds) throws Exception {
        List<String> rows = new ArrayList<>();
        rows.add("| batching | clients | requests | images/s | p50 latency (s) | p99 latency (s) | vs 1 client |");
        rows.add("|---|---|---|---|---|---|---|");
        for (boolean batching : new boolean[] {true, false}) {
            double single = 0;
            for (int clients : new int[] {1, 4, 16}) {
                try (Bench bench = new Bench(manifest, graph, batching)) {
                    double[] r = bench.closedLoop(List.of(new Load(clients, 1, SamplerKind.DDIM, 50)), seconds)
                            .get(0);
                    double imagesPerSecond = r[3] / 50;
                    if (clients == 1) {
                        single = imagesPerSecond;
                    }
                    String row = String.format(
                            "| %s | %d | %.0f | %.2f | %.2f | %.2f | %.2fx |",
                            batching ? "on" : "off",
                            clients,
                            r[0],
                            imagesPerSecond,
                            r[1],
                            r[2],
                            imagesPerSecond / single);
                    System.out.println(row);
                    rows.add(row);
                }
            }
        }
        return rows;
    }

    /** {@code clients} closed-loop clients, each sending requests of {@code count} images. */
    private record Load(int clients, int count, SamplerKind kind, int steps) {}

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

        /** A request; {@code evaluations} counts the network evaluations it has had, as they happen. */
        CompletableFuture<Void> run(int count, SamplerKind kind, int steps, AtomicLong evaluations) {
            return submit(count, kind, steps, evaluations).done();
        }

        private record Pending(SamplingJob job, CompletableFuture<Void> done) {}

        private Pending submit(int count, SamplerKind kind, int steps, AtomicLong evaluations) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            SamplingRequest spec = new SamplingRequest(
                    model.name(),
                    null,
                    count,
                    kind,
                    steps,
                    0.0,
                    ids.incrementAndGet(),
                    OutputFormat.PNG,
                    true,
                    null,
                    0,
                    null,
                    null,
                    null,
                    null);
            long[] counted = {0};
            SamplingJob job = new SamplingJob(
                    Long.toString(ids.get()), spec, Priority.INTERACTIVE, model.lease(), new JobListener() {
                        public void progress(int step, int totalSteps, double etaSeconds, int queuePosition) {
                            evaluations.addAndGet((long) step * count - counted[0]);
                            counted[0] = (long) step * count;
                        }

                        public void completed(ModelManifest m, float[][] images, List<byte[][]> frames, double s) {
                            done.complete(null);
                        }

                        public void failed(RuntimeException error) {
                            done.completeExceptionally(error);
                        }
                    });
            batcher.submit(job);
            return new Pending(job, done);
        }

        /**
         * The loads at once for about {@code seconds}; per load {requests completed, p50 latency,
         * p99 latency, network evaluations per second (of completed and unfinished requests)}.
         */
        List<double[]> closedLoop(List<Load> loads, double seconds) throws Exception {
            int threads = loads.stream().mapToInt(Load::clients).sum();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            long end = System.nanoTime() + (long) (seconds * 1e9);
            long start = System.nanoTime();
            List<List<Double>> latencies = new ArrayList<>();
            List<AtomicLong> evaluations = new ArrayList<>();
            List<Future<?>> loops = new ArrayList<>();
            for (Load load : loads) {
                List<Double> seen = Collections.synchronizedList(new ArrayList<>());
                AtomicLong evaluated = new AtomicLong();
                latencies.add(seen);
                evaluations.add(evaluated);
                for (int c = 0; c < load.clients(); c++) {
                    loops.add(pool.submit(() -> {
                        while (System.nanoTime() < end) {
                            long t0 = System.nanoTime();
                            Pending request = submit(load.count(), load.kind(), load.steps(), evaluated);
                            while (!request.done().isDone() && System.nanoTime() < end) {
                                try {
                                    request.done().get(50, TimeUnit.MILLISECONDS);
                                } catch (TimeoutException e) {
                                    // still running
                                }
                            }
                            if (request.done().isDone()) {
                                request.done().get();
                                seen.add((System.nanoTime() - t0) / 1e9);
                            } else {
                                // Unfinished at the end: its evaluations so far count, the rest is not run.
                                request.job().cancel();
                            }
                        }
                        return null;
                    }));
                }
            }
            for (Future<?> loop : loops) {
                loop.get();
            }
            double wall = (System.nanoTime() - start) / 1e9;
            pool.shutdownNow();
            while (batcher.backlogEvaluations() > 0) {
                Thread.sleep(20);
            }
            List<double[]> results = new ArrayList<>();
            for (int i = 0; i < loads.size(); i++) {
                List<Double> sorted = new ArrayList<>(latencies.get(i));
                Collections.sort(sorted);
                results.add(new double[] {
                    sorted.size(),
                    percentile(sorted, 0.5),
                    percentile(sorted, 0.99),
                    evaluations.get(i).get() / wall
                });
            }
            return results;
        }

        private static double percentile(List<Double> sorted, double q) {
            return sorted.isEmpty()
                    ? Double.NaN
                    : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
        }

        @Override
        public void close() {
            batcher.stop();
            model.retire();
        }
    }

    /** The service's defaults, with room for every client of the benchmark. */
    record BenchConfig(boolean batching, String executionProvider) implements SamplerConfig {
        static final int MAX_BATCH = 16;

        BenchConfig(boolean batching) {
            this(batching, "auto");
        }

        public int intraOpThreads() {
            return 0;
        }

        public Optional<List<String>> models() {
            return Optional.empty();
        }

        public int maxBatch() {
            return MAX_BATCH;
        }

        public int maxImagesPerRequest() {
            return 64;
        }

        public int maxPinnedVersions() {
            return 4;
        }

        public Duration retryAfter() {
            return Duration.ofSeconds(2);
        }

        public boolean followPublications() {
            return false;
        }

        public Duration aliasesRefresh() {
            return Duration.ofSeconds(30);
        }

        public Queue queue() {
            return new Queue() {
                public int maxRequests() {
                    return 64;
                }

                public long maxEvaluations() {
                    return 1_000_000;
                }

                public MemorySize maxHeldBytes() {
                    return new MemorySize(BigInteger.valueOf(1L << 30));
                }
            };
        }

        public Jobs jobs() {
            return new Jobs() {
                public int queueCapacity() {
                    return 64;
                }

                public Duration deadline() {
                    return Duration.ofMinutes(20);
                }
            };
        }

        public Scheduling scheduling() {
            return new Scheduling() {
                public Optional<Integer> maxSlotsPerRequest() {
                    return Optional.empty();
                }

                public double backgroundShare() {
                    return 0.25;
                }
            };
        }

        public Previews previews() {
            return new Previews() {
                public int maxPerImage() {
                    return 50;
                }

                public int encoderThreads() {
                    return 2;
                }
            };
        }

        public Sessions sessions() {
            return new Sessions() {
                public int maxOpen() {
                    return 8;
                }

                public int loadsPerCallerPerMinute() {
                    return 0;
                }
            };
        }

        /** Not used: the benchmark loads graphs from local files, not through the registry that verifies. */
        public Signing signing() {
            return new Signing() {
                public boolean required() {
                    return true;
                }

                public Optional<List<String>> trustedKeys() {
                    return Optional.empty();
                }

                public Optional<List<java.nio.file.Path>> trustedKeyFiles() {
                    return Optional.empty();
                }
            };
        }
    }
}
