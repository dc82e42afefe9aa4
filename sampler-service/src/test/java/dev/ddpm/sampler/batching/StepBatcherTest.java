package dev.ddpm.sampler.batching;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.api.OutputFormat;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.core.storage.Sha256;
import dev.ddpm.sampler.config.SamplerConfig;
import dev.ddpm.sampler.engine.LoadedModel;
import dev.ddpm.sampler.engine.OnnxEngine;
import dev.ddpm.service.testing.GaussianModel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.runtime.configuration.MemorySize;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The batcher's scheduling against real ONNX Runtime, on the closed-form Gaussian denoiser (3x64x64,
 * T = 1000): slot-level admission, fairness, priorities, cancellation, work-bounded admission,
 * deadlines, co-batching, and images that do not depend on how the batch was sliced.
 */
class StepBatcherTest {

    private static LoadedModel model;
    private final List<StepBatcher> batchers = new ArrayList<>();
    private SimpleMeterRegistry meters;

    @BeforeAll
    static void open() {
        GaussianModel gaussian = new GaussianModel("scheduling", "v1", GaussianModel.pattern(3, 64, 0), 0.3, 3, 64);
        byte[] graph = gaussian.graph();
        ObjectRef ref = new ObjectRef(Buckets.MODELS, "scheduling/v1/unet.onnx", graph.length, Sha256.of(graph));
        ModelManifest manifest = gaussian.manifest(graph, ref, Instant.now());
        model = LoadedModel.open(new OnnxEngine(Settings.of(8)), manifest, graph);
    }

    @AfterAll
    static void close() {
        model.retire();
    }

    @AfterEach
    void stopBatchers() {
        batchers.forEach(StepBatcher::stop);
    }

    @Test
    void aSmallRequestIsNotHeldBehindALargeOne() throws Exception {
        StepBatcher batcher = batcher(Settings.of(8));
        double alone = medianSeconds(batcher, 5);
        Request large = submit(batcher, 64, SamplerKind.DDPM, 1000, 1, Priority.INTERACTIVE, null);
        await().atMost(Duration.ofSeconds(10)).until(() -> large.evaluations.get() > 0);

        double underLoad = medianSeconds(batcher, 3);

        assertThat(large.result).as("the large request is still running").isNotDone();
        System.out.printf(
                "1-image DDIM-5: %.4f s alone, %.4f s beside a 64-image DDPM-1000 request%n", alone, underLoad);
        // Waiting for the large request (head-of-line) takes the whole 8000 turns it needs.
        assertThat(underLoad).isLessThan(10 * alone + 0.05);
        large.job.cancel();
    }

    @Test
    void requestsShareTheBatchEquallyAndTheCapHoldsForEach() {
        StepBatcher batcher = batcher(Settings.of(8).withSlotsPerRequest(3));
        Request first = submit(batcher, 64, SamplerKind.DDPM, 1000, 1, Priority.INTERACTIVE, null);
        Request second = submit(batcher, 64, SamplerKind.DDPM, 1000, 2, Priority.INTERACTIVE, null);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> first.evaluations.get() > 300 && second.evaluations.get() > 300);
        assertThat(batcher.activeImages()).as("two requests, three slots each").isEqualTo(6);
        long a = first.evaluations.get();
        long b = second.evaluations.get();
        assertThat((double) a / b).isBetween(0.8, 1.25);
        first.job.cancel();
        second.job.cancel();
    }

    @Test
    void aClientWithLargeRequestsAndOneWithSmallOnesBothMakeProgress() throws Exception {
        StepBatcher batcher = batcher(Settings.of(8));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong large = new AtomicLong();
        AtomicLong small = new AtomicLong();
        CompletableFuture<Void> bigClient = CompletableFuture.runAsync(() -> loop(batcher, stop, 16, 100, large));
        CompletableFuture<Void> smallClient = CompletableFuture.runAsync(() -> loop(batcher, stop, 1, 20, small));
        Thread.sleep(3000);
        stop.set(true);
        bigClient.get(60, TimeUnit.SECONDS);
        smallClient.get(60, TimeUnit.SECONDS);
        System.out.printf("in 3 s: %d large requests (16 x 100), %d small (1 x 20)%n", large.get(), small.get());
        assertThat(large.get()).isPositive();
        assertThat(small.get()).isGreaterThan(10);
    }

    @Test
    void backgroundJobsKeepTheirShareAndUseWhatIsIdle() {
        StepBatcher batcher = batcher(Settings.of(8).withBackgroundShare(0.25));
        Request background = submit(batcher, 64, SamplerKind.DDPM, 1000, 1, Priority.BACKGROUND, null);
        await().atMost(Duration.ofSeconds(10)).until(() -> background.evaluations.get() > 100);
        assertThat(batcher.activeImages())
                .as("alone, a background job uses the whole batch")
                .isEqualTo(8);

        Request interactive = submit(batcher, 64, SamplerKind.DDPM, 1000, 2, Priority.INTERACTIVE, null);
        await().atMost(Duration.ofSeconds(10)).until(() -> interactive.evaluations.get() > 0);
        long backgroundBefore = background.evaluations.get();
        long interactiveBefore = interactive.evaluations.get();
        await().atMost(Duration.ofSeconds(20)).until(() -> interactive.evaluations.get() - interactiveBefore > 1200);
        double backgroundShare = (double) (background.evaluations.get() - backgroundBefore)
                / (background.evaluations.get() - backgroundBefore + interactive.evaluations.get() - interactiveBefore);
        assertThat(backgroundShare).as("2 of 8 slots").isBetween(0.2, 0.3);
        background.job.cancel();
        interactive.job.cancel();
    }

    @Test
    void aCancelledWaitingRequestLeavesTheQueueAtOnce() {
        StepBatcher batcher = batcher(Settings.of(2).withMaxRequests(3));
        Request a = submit(batcher, 2, SamplerKind.DDPM, 1000, 1, Priority.INTERACTIVE, null);
        Request b = submit(batcher, 2, SamplerKind.DDPM, 1000, 2, Priority.INTERACTIVE, null);
        Request waiting = submit(batcher, 2, SamplerKind.DDPM, 1000, 3, Priority.INTERACTIVE, null);
        await().atMost(Duration.ofSeconds(10)).until(() -> a.evaluations.get() > 0 && b.evaluations.get() > 0);
        assertThat(batcher.queueDepth()).as("two slots, three requests").isEqualTo(1);
        assertThat(waiting.queuePositions).contains(1);
        assertThatThrownBy(() -> submit(batcher, 1, SamplerKind.DDIM, 5, 4, Priority.INTERACTIVE, null))
                .isInstanceOf(QueueFullException.class)
                .hasMessageContaining("holds 3 requests");
        // a and b keep stepping meanwhile: what they did between the two readings is allowed for.
        long doneBefore = a.evaluations.get() + b.evaluations.get();
        long backlog = batcher.backlogEvaluations();

        waiting.job.cancel();

        long after = batcher.backlogEvaluations();
        long doneMeanwhile = a.evaluations.get() + b.evaluations.get() - doneBefore;
        assertThat(after).isBetween(backlog - 2000 - doneMeanwhile - 2, backlog - 2000);
        Request next = submit(batcher, 1, SamplerKind.DDIM, 5, 4, Priority.INTERACTIVE, null);
        a.job.cancel();
        b.job.cancel();
        assertThat(next.result).succeedsWithin(Duration.ofSeconds(10));
        assertThat(waiting.evaluations.get()).isZero();
        assertThat(meters.counter("ddpm_sampler_cancelled_total", "priority", "interactive", "when", "waiting")
                        .count())
                .isEqualTo(1);
    }

    @Test
    void cancellingARunningRequestFreesItsSlotsAtTheNextStep() {
        StepBatcher batcher = batcher(Settings.of(8));
        Request running = submit(batcher, 8, SamplerKind.DDPM, 1000, 1, Priority.INTERACTIVE, null);
        await().atMost(Duration.ofSeconds(10)).until(() -> running.evaluations.get() > 0);
        running.job.cancel();
        await().atMost(Duration.ofSeconds(2))
                .until(() -> batcher.activeRequests() == 0 && batcher.backlogEvaluations() == 0);
        assertThat(model.activeLeases()).isZero();
    }

    @Test
    void theQueueIsBoundedInEvaluationsWithAHintFromTheBacklog() {
        StepBatcher batcher = batcher(Settings.of(8).withMaxEvaluations(100_000));
        Request large = submit(batcher, 64, SamplerKind.DDPM, 1000, 1, Priority.INTERACTIVE, null);
        await().atMost(Duration.ofSeconds(10)).until(() -> large.evaluations.get() > 1000);
        // 64 x 1000 held: another 64 x 1000 is over the bound, a small one is not.
        QueueFullException refused = org.junit.jupiter.api.Assertions.assertThrows(
                QueueFullException.class,
                () -> submit(batcher, 64, SamplerKind.DDPM, 1000, 2, Priority.INTERACTIVE, null));
        assertThat(refused.getMessage())
                .contains("network evaluations", "64 images x 1000 evaluations", "bound of 100000");
        assertThat(refused.retryAfter()).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
        Request small = submit(batcher, 4, SamplerKind.DDIM, 50, 3, Priority.INTERACTIVE, null);
        assertThat(small.result).succeedsWithin(Duration.ofSeconds(10));
        large.job.cancel();
    }

    @Test
    void aDeadlineThatCannotBeMetIsRefusedAndOneThatPassesCancels() {
        StepBatcher fresh = batcher(Settings.of(8));
        // Nothing measured yet: taken, then cancelled when its deadline passes.
        Request late = submit(fresh, 64, SamplerKind.DDPM, 1000, 1, Priority.INTERACTIVE, Duration.ofMillis(200));
        assertThatThrownBy(() -> late.result.get(10, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(DeadlineException.class)
                .hasMessageContaining("ran past its deadline");
        await().atMost(Duration.ofSeconds(2)).until(() -> fresh.activeRequests() == 0);

        // Measured now: refused before it is queued.
        assertThatThrownBy(
                        () -> submit(fresh, 64, SamplerKind.DDPM, 1000, 2, Priority.INTERACTIVE, Duration.ofMillis(50)))
                .isInstanceOf(DeadlineException.class)
                .hasMessageContaining("cannot finish within its deadline");
        Request inTime = submit(fresh, 1, SamplerKind.DDIM, 5, 3, Priority.INTERACTIVE, Duration.ofSeconds(30));
        assertThat(inTime.result).succeedsWithin(Duration.ofSeconds(10));
    }

    @Test
    void concurrentRequestsShareNetworkCalls() throws Exception {
        StepBatcher batcher = batcher(Settings.of(8));
        Request first = submit(batcher, 2, SamplerKind.DDPM, 300, 1, Priority.INTERACTIVE, null);
        Request second = submit(batcher, 2, SamplerKind.DDPM, 300, 2, Priority.INTERACTIVE, null);
        first.result.get(30, TimeUnit.SECONDS);
        second.result.get(30, TimeUnit.SECONDS);
        var calls = meters.find("ddpm_sampler_batch_images").summary();
        assertThat(calls.count()).as("network calls for 2 x 300 steps").isLessThan(450);
        assertThat(calls.max()).isEqualTo(4);
    }

    @Test
    void aSeedGivesTheSameImagesWhateverTheSlicing() throws Exception {
        float[][] whole = submit(batcher(Settings.of(8)), 6, SamplerKind.DDIM, 40, 7, Priority.INTERACTIVE, null)
                .result
                .get(30, TimeUnit.SECONDS);
        // Two slots, one per request, and a neighbour: the same six images one at a time, paused between steps.
        StepBatcher sliced = batcher(Settings.of(2).withSlotsPerRequest(1));
        Request neighbour = submit(sliced, 3, SamplerKind.DDPM, 200, 8, Priority.INTERACTIVE, null);
        float[][] pieces = submit(sliced, 6, SamplerKind.DDIM, 40, 7, Priority.INTERACTIVE, null)
                .result
                .get(60, TimeUnit.SECONDS);
        neighbour.job.cancel();
        assertThat(pieces).isDeepEqualTo(whole);
    }

    @Test
    void settingsThatCannotWorkStopTheStartNamingTheSetting() {
        assertThatThrownBy(() -> new StepBatcher(Settings.of(8).withMaxRequests(0), new SimpleMeterRegistry()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sampler.queue.max-requests");
        assertThatThrownBy(() -> new StepBatcher(Settings.of(8).withBackgroundShare(1.5), new SimpleMeterRegistry()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sampler.scheduling.background-share");
    }

    // ---- helpers -------------------------------------------------------------------------------

    private StepBatcher batcher(Settings settings) {
        meters = new SimpleMeterRegistry();
        StepBatcher batcher = new StepBatcher(settings, meters);
        batcher.start();
        batchers.add(batcher);
        return batcher;
    }

    private static final class Request {
        SamplingJob job;
        final CompletableFuture<float[][]> result = new CompletableFuture<>();
        final AtomicLong evaluations = new AtomicLong();
        final List<Integer> queuePositions = Collections.synchronizedList(new ArrayList<>());
    }

    private static Request submit(
            StepBatcher batcher,
            int count,
            SamplerKind kind,
            int steps,
            long seed,
            Priority priority,
            Duration deadline) {
        Request request = new Request();
        SamplingRequest spec = new SamplingRequest(
                        "scheduling",
                        null,
                        count,
                        kind,
                        steps,
                        0.0,
                        seed,
                        OutputFormat.PNG,
                        true,
                        null,
                        0,
                        null,
                        null,
                        null,
                        null)
                .withDeadlineAtMost(deadline);
        request.job = new SamplingJob("r-" + seed, spec, priority, model.lease(), new JobListener() {
            @Override
            public void progress(int step, int totalSteps, double etaSeconds, int queuePosition) {
                request.evaluations.set((long) step * count);
                if (queuePosition > 0) {
                    request.queuePositions.add(queuePosition);
                }
            }

            @Override
            public void completed(ModelManifest m, float[][] images, List<byte[][]> frames, double seconds) {
                request.result.complete(images);
            }

            @Override
            public void failed(RuntimeException error) {
                request.result.completeExceptionally(error);
            }
        });
        batcher.submit(request.job);
        return request;
    }

    /** Median seconds of {@code n} 1-image DDIM-5 requests, one after another. */
    private static double medianSeconds(StepBatcher batcher, int n) throws Exception {
        List<Double> seconds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            submit(batcher, 1, SamplerKind.DDIM, 5, 100 + i, Priority.INTERACTIVE, null)
                    .result
                    .get(60, TimeUnit.SECONDS);
            seconds.add((System.nanoTime() - start) / 1e9);
        }
        Collections.sort(seconds);
        return seconds.get(n / 2);
    }

    private static void loop(StepBatcher batcher, AtomicBoolean stop, int count, int steps, AtomicLong completed) {
        long seed = count * 1000L;
        while (!stop.get()) {
            Request request = submit(batcher, count, SamplerKind.DDPM, steps, seed++, Priority.INTERACTIVE, null);
            while (!request.result.isDone() && !stop.get()) {
                try {
                    request.result.get(20, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    // still running
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            if (request.result.isDone()) {
                completed.incrementAndGet();
            } else {
                request.job.cancel();
            }
        }
    }

    /** The settings the tests vary; the rest as the service's defaults (shared with the batcher's other tests). */
    record Settings(
            int maxBatch,
            int maxRequests,
            long maxEvaluations,
            Optional<Integer> slotsPerRequest,
            double backgroundShare)
            implements SamplerConfig {

        static Settings of(int maxBatch) {
            return new Settings(maxBatch, 64, 1_000_000, Optional.empty(), 0.25);
        }

        Settings withSlotsPerRequest(int slots) {
            return new Settings(maxBatch, maxRequests, maxEvaluations, Optional.of(slots), backgroundShare);
        }

        Settings withMaxRequests(int max) {
            return new Settings(maxBatch, max, maxEvaluations, slotsPerRequest, backgroundShare);
        }

        Settings withMaxEvaluations(long max) {
            return new Settings(maxBatch, maxRequests, max, slotsPerRequest, backgroundShare);
        }

        Settings withBackgroundShare(double share) {
            return new Settings(maxBatch, maxRequests, maxEvaluations, slotsPerRequest, share);
        }

        public String executionProvider() {
            return "cpu";
        }

        public int intraOpThreads() {
            return 1;
        }

        public Optional<List<String>> models() {
            return Optional.empty();
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

        public boolean batching() {
            return true;
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
                    return maxRequests;
                }

                public long maxEvaluations() {
                    return maxEvaluations;
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
                    return slotsPerRequest;
                }

                public double backgroundShare() {
                    return backgroundShare;
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

        /** Not used: the batcher's tests build no registry. */
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
