package dev.ddpm.sampler.batching;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.api.OutputFormat;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.core.storage.Sha256;
import dev.ddpm.sampler.engine.LoadedModel;
import dev.ddpm.sampler.engine.OnnxEngine;
import dev.ddpm.service.testing.GaussianModel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * What a failure takes down in the batcher, against real ONNX Runtime on the closed-form Gaussian
 * denoiser: the failing request alone (its preview, its listener, the network call for its images),
 * every request only when the model itself fails; the loop outlives Errors; a drain refuses new
 * requests, lets held ones finish, and fails what it is told to abandon. Faults are injected where a
 * request's own code runs (its listener) or, for the network call, by failing the real call whenever
 * one chosen request's images are in it.
 */
class StepBatcherFaultsTest {

    private static LoadedModel model;
    private final List<StepBatcher> batchers = new ArrayList<>();

    @BeforeAll
    static void open() {
        GaussianModel gaussian = new GaussianModel("faults", "v1", GaussianModel.pattern(1, 16, 0), 0.3, 1, 16);
        byte[] graph = gaussian.graph();
        ObjectRef ref = new ObjectRef(Buckets.MODELS, "faults/v1/unet.onnx", graph.length, Sha256.of(graph));
        ModelManifest manifest = gaussian.manifest(graph, ref, Instant.now());
        model = LoadedModel.open(new OnnxEngine(StepBatcherTest.Settings.of(8)), manifest, graph);
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
    void aPreviewThatThrowsFailsItsRequestAloneWhileItsBatchNeighboursComplete() throws Exception {
        StepBatcher batcher = registered(new StepBatcher(StepBatcherTest.Settings.of(8), new SimpleMeterRegistry()));
        Request neighbour = new Request("neighbour", 2, 200, 0);
        Request culprit = new Request("culprit", 2, 200, 1)
                .previewThrows(20, new IllegalStateException("preview broke"))
                .watching(neighbour);
        Request other = new Request("other", 2, 200, 0);
        submitTogether(batcher, neighbour, culprit, other);

        assertThatThrownBy(() -> culprit.result.get(30, TimeUnit.SECONDS))
                .cause()
                .hasMessage("preview broke");
        assertThat(neighbour.result).succeedsWithin(Duration.ofSeconds(30));
        assertThat(other.result).succeedsWithin(Duration.ofSeconds(30));
        assertThat(culprit.watchedStepsAtFailure)
                .as("the neighbour was under way, in the same batch, when the culprit failed")
                .isBetween(1, 199);
        await().atMost(Duration.ofSeconds(2)).until(() -> batcher.heldRequests() == 0 && model.activeLeases() == 0);
    }

    @Test
    void aNetworkCallThatFailsForOneRequestsImagesFailsThatRequestAlone() throws Exception {
        AtomicInteger batchedCalls = new AtomicInteger();
        StepBatcher batcher = registered(failingWhen(
                group -> {
                    if (group.size() > 1) {
                        batchedCalls.incrementAndGet();
                    }
                    return group.stream().anyMatch(job -> job.id().equals("culprit") && job.evaluationsDone() >= 10);
                },
                "input the model cannot take"));
        Request neighbour = new Request("neighbour", 2, 100, 0);
        Request culprit = new Request("culprit", 2, 100, 0);
        submitTogether(batcher, neighbour, culprit);

        assertThatThrownBy(() -> culprit.result.get(30, TimeUnit.SECONDS))
                .cause()
                .hasMessageContaining("the network call of model faults version v1 failed: input the model cannot take")
                .hasMessageContaining("failed for this request's images alone");
        assertThat(neighbour.result).succeedsWithin(Duration.ofSeconds(30));
        assertThat(batchedCalls.get()).as("the two shared network calls").isPositive();
    }

    @Test
    void aModelThatFailsEveryCallFailsEveryRequestSayingTheModelIsAtFault() {
        StepBatcher batcher = registered(failingWhen(group -> true, "graph cannot run"));
        Request first = new Request("first", 2, 50, 0);
        Request second = new Request("second", 2, 50, 0);
        submitTogether(batcher, first, second);

        for (Request request : List.of(first, second)) {
            assertThatThrownBy(() -> request.result.get(30, TimeUnit.SECONDS))
                    .cause()
                    .hasMessageContaining("graph cannot run")
                    .hasMessageContaining("the model itself is at fault");
        }
        await().atMost(Duration.ofSeconds(2)).until(() -> batcher.heldRequests() == 0);
    }

    @Test
    void anErrorInOneRequestsListenerFailsItAloneAndTheLoopGoesOn() throws Exception {
        StepBatcher batcher = registered(new StepBatcher(StepBatcherTest.Settings.of(8), new SimpleMeterRegistry()));
        Request neighbour = new Request("neighbour", 2, 200, 0);
        Request culprit = new Request("culprit", 1, 200, 1).previewThrows(5, new AssertionError("listener bug"));
        submitTogether(batcher, neighbour, culprit);

        assertThatThrownBy(() -> culprit.result.get(30, TimeUnit.SECONDS))
                .cause()
                .hasMessageContaining("listener bug");
        assertThat(neighbour.result).succeedsWithin(Duration.ofSeconds(30));
        assertThat(batcher.turnGap().loopRunning()).isTrue();
    }

    @Test
    void aTurnThatFailsAsAWholeFailsItsRequestsOnceAndTheLoopServesTheNext() throws Exception {
        StepBatcher batcher = registered(new StepBatcher(StepBatcherTest.Settings.of(8), new SimpleMeterRegistry()));
        // Out of memory is the process's, not the request's: the whole turn fails, freeing what it held.
        Request culprit = new Request("culprit", 1, 200, 1).previewThrows(5, new OutOfMemoryError("simulated"));
        Request neighbour = new Request("neighbour", 1, 200, 0);
        submitTogether(batcher, culprit, neighbour);

        for (Request failed : List.of(culprit, neighbour)) {
            assertThatThrownBy(() -> failed.result.get(30, TimeUnit.SECONDS))
                    .cause()
                    .hasMessageContaining("simulated");
        }
        Request next = new Request("next", 1, 20, 0);
        batcher.submit(next.job());
        assertThat(next.result).as("the loop survived the Error").succeedsWithin(Duration.ofSeconds(30));
        assertThat(culprit.failures.get()).as("failed once, not at every turn").isEqualTo(1);
        assertThat(batcher.turnGap().loopRunning()).isTrue();
    }

    @Test
    void aDrainRefusesNewRequestsLetsHeldOnesFinishAndFailsWhatItAbandons() throws Exception {
        StepBatcher batcher = registered(new StepBatcher(StepBatcherTest.Settings.of(2), new SimpleMeterRegistry()));
        Request finishing = new Request("finishing", 1, 100, 0);
        Request abandoned = new Request("abandoned", 1, 1000, 0);
        submitTogether(batcher, finishing, abandoned);

        batcher.stopAdmitting();

        assertThat(batcher.draining()).isTrue();
        assertThatThrownBy(() -> batcher.submit(new Request("late", 1, 10, 0).job()))
                .isInstanceOf(SamplerShuttingDownException.class)
                .hasMessageContaining("the sampler is shutting down; it takes no new requests");
        assertThat(finishing.result).succeedsWithin(Duration.ofSeconds(30));
        assertThat(abandoned.result).isNotDone();

        batcher.abandonHeld(new SamplerShuttingDownException("drain time up", Duration.ofSeconds(1)));

        assertThatThrownBy(() -> abandoned.result.get(10, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(SamplerShuttingDownException.class)
                .hasMessage("the sampler is shutting down; drain time up");
        await().atMost(Duration.ofSeconds(2)).until(() -> batcher.heldRequests() == 0 && model.activeLeases() == 0);
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** Not started yet: {@link #submitTogether} starts it once the first requests are in. */
    private StepBatcher registered(StepBatcher batcher) {
        batchers.add(batcher);
        return batcher;
    }

    /** The real network call, failing whenever {@code breaks} holds for the requests in it. */
    private static StepBatcher failingWhen(Predicate<List<SamplingJob>> breaks, String message) {
        return new StepBatcher(StepBatcherTest.Settings.of(8), new SimpleMeterRegistry()) {
            @Override
            float[] predict(LoadedModel m, List<SamplingJob> group, Map<SamplingJob, List<Integer>> work) {
                if (breaks.test(group)) {
                    throw new IllegalStateException(message);
                }
                return super.predict(m, group, work);
            }
        };
    }

    /** Submitted before the loop starts: its first turn steps them all in one network call. */
    private static void submitTogether(StepBatcher batcher, Request... requests) {
        for (Request request : requests) {
            batcher.submit(request.job());
        }
        batcher.start();
    }

    private static final class Request {
        final CompletableFuture<float[][]> result = new CompletableFuture<>();
        final AtomicInteger steps = new AtomicInteger();
        final AtomicInteger failures = new AtomicInteger();
        private final String id;
        private final int count;
        private final int totalSteps;
        private final int previewEvery;
        private int throwAtStep = -1;
        private Throwable thrown;
        private Request watched;
        /** The watched request's steps when this one failed. */
        volatile int watchedStepsAtFailure = -1;

        Request(String id, int count, int totalSteps, int previewEvery) {
            this.id = id;
            this.count = count;
            this.totalSteps = totalSteps;
            this.previewEvery = previewEvery;
        }

        Request previewThrows(int step, Throwable error) {
            this.throwAtStep = step;
            this.thrown = error;
            return this;
        }

        /** Records {@code other}'s progress when this request fails. */
        Request watching(Request other) {
            this.watched = other;
            return this;
        }

        SamplingJob job() {
            SamplingRequest spec = new SamplingRequest(
                    "faults",
                    null,
                    count,
                    SamplerKind.DDPM,
                    totalSteps,
                    0.0,
                    id.hashCode() & 0x7fffffffL,
                    OutputFormat.PNG,
                    true,
                    null,
                    previewEvery,
                    null,
                    null,
                    null,
                    null);
            return new SamplingJob(id, spec, Priority.INTERACTIVE, model.lease(), new JobListener() {
                @Override
                public void progress(int step, int total, double eta, int queuePosition) {
                    steps.set(step);
                }

                @Override
                public void preview(ModelManifest.Image image, int step, int index, float[] predictedX0) {
                    if (step == throwAtStep) {
                        sneakyThrow(thrown);
                    }
                }

                @Override
                public void completed(ModelManifest m, float[][] images, List<byte[][]> frames, double seconds) {
                    result.complete(images);
                }

                @Override
                public void failed(RuntimeException error) {
                    failures.incrementAndGet();
                    if (watched != null) {
                        watchedStepsAtFailure = watched.steps.get();
                    }
                    result.completeExceptionally(error);
                }
            });
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneakyThrow(Throwable e) throws T {
        throw (T) e;
    }
}
