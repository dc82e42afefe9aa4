package dev.ddpm.sampler.batching;

import dev.ddpm.sampler.config.SamplerConfig;
import dev.ddpm.sampler.engine.LoadedModel;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Step-level continuous batching (Triton's dynamic batching, per denoising step): one thread runs
 * the loop; each turn it admits waiting requests while batch slots are free, then makes one network
 * call per model version for the current step of every active request (whatever their timesteps,
 * step counts or samplers), and advances each. A request joins at the next turn and leaves when it
 * is done or cancelled, so a short request never waits for a long one to finish. The waiting queue
 * is bounded: beyond it requests are refused at once.
 */
@Singleton
public class StepBatcher {

    private static final Logger LOG = Logger.getLogger(StepBatcher.class);

    private final int maxBatch;
    private final SamplerConfig config;
    private final BlockingQueue<SamplingJob> waiting;
    private final List<SamplingJob> active = new ArrayList<>();
    private final Map<SamplingJob, Integer> announcedPositions = new IdentityHashMap<>();
    private final DistributionSummary batchSizes;
    private final Timer stepLatency;
    private final MeterRegistry meters;
    private volatile boolean running;
    private volatile int activeCount;
    private Thread thread;

    public StepBatcher(SamplerConfig config, MeterRegistry meters) {
        this.config = config;
        this.maxBatch = config.maxBatch();
        this.waiting = new ArrayBlockingQueue<>(config.queueCapacity());
        this.meters = meters;
        this.batchSizes = DistributionSummary.builder("ddpm_sampler_batch_images")
                .description("images per network call").register(meters);
        this.stepLatency = Timer.builder("ddpm_sampler_step_seconds")
                .description("one network call and the scheduler steps it feeds").register(meters);
        meters.gauge("ddpm_sampler_queue_depth", waiting, BlockingQueue::size);
        meters.gauge("ddpm_sampler_active_requests", this, b -> b.activeCount);
    }

    void onStart(@Observes StartupEvent event) {
        start();
    }

    void onStop(@Observes ShutdownEvent event) {
        stop();
    }

    /** Starts the loop thread (the service does at start-up; benchmarks call it themselves). */
    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        thread = new Thread(this::loop, "ddpm-step-batcher");
        thread.setDaemon(true);
        thread.start();
    }

    public synchronized void stop() {
        running = false;
        if (thread != null) {
            thread.interrupt();
        }
    }

    /** Queues a request; it starts at the next step with free slots. */
    public void submit(SamplingJob job) {
        if (!waiting.offer(job)) {
            job.release();
            throw new QueueFullException(config.queueCapacity(), config.retryAfter());
        }
    }

    public int queueDepth() {
        return waiting.size();
    }

    public int activeRequests() {
        return activeCount;
    }

    private void loop() {
        while (running) {
            try {
                admit();
                if (active.isEmpty()) {
                    SamplingJob next = waiting.poll(200, TimeUnit.MILLISECONDS);
                    if (next != null) {
                        start(next);
                    }
                    continue;
                }
                step();
                announceQueuePositions();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.errorf(e, "step batcher turn failed");
            }
        }
    }

    private void admit() {
        int free = maxBatch - active.stream().mapToInt(j -> j.spec().count()).sum();
        for (SamplingJob next; (next = waiting.peek()) != null && (active.isEmpty() || next.spec().count() <= free); ) {
            waiting.poll();
            if (start(next)) {
                free -= next.spec().count();
            }
        }
    }

    private boolean start(SamplingJob job) {
        announcedPositions.remove(job);
        if (job.cancelled()) {
            job.release();
            return false;
        }
        job.started();
        active.add(job);
        activeCount = active.size();
        return true;
    }

    /** One step for every active job: one network call per model version (in chunks of maxBatch images). */
    private void step() {
        // Batching: one group per model version; without it, one group (one call) per request.
        Map<Object, List<SamplingJob>> byModel = new LinkedHashMap<>();
        for (Iterator<SamplingJob> it = active.iterator(); it.hasNext(); ) {
            SamplingJob job = it.next();
            if (job.cancelled()) {
                LOG.debugf("request %s cancelled at step %d", job.id(), job.state().stepsDone());
                job.release();
                it.remove();
            } else {
                byModel.computeIfAbsent(config.batching() ? job.model() : job, m -> new ArrayList<>()).add(job);
            }
        }
        for (List<SamplingJob> jobs : byModel.values()) {
            LoadedModel model = jobs.get(0).model();
            try {
                Map<SamplingJob, float[][]> outputs = predict(model, jobs);
                for (SamplingJob job : jobs) {
                    job.state().step(outputs.get(job));
                    notify(job);
                }
            } catch (RuntimeException e) {
                LOG.errorf("model %s %s failed a step: %s", model.name(), model.version(), e.getMessage());
                for (SamplingJob job : jobs) {
                    fail(job, e);
                }
            }
        }
        active.removeIf(job -> {
            boolean leaving = job.state().finished() || job.cancelled();
            if (leaving) {
                job.release();
            }
            return leaving;
        });
        activeCount = active.size();
    }

    private Map<SamplingJob, float[][]> predict(LoadedModel model, List<SamplingJob> jobs) {
        int length = model.imageLength();
        record Slot(SamplingJob job, int index) {
        }
        List<Slot> slots = new ArrayList<>();
        Map<SamplingJob, float[][]> outputs = new IdentityHashMap<>();
        for (SamplingJob job : jobs) {
            outputs.put(job, new float[job.spec().count()][]);
            for (int i = 0; i < job.spec().count(); i++) {
                slots.add(new Slot(job, i));
            }
        }
        for (int from = 0; from < slots.size(); from += maxBatch) {
            int n = Math.min(maxBatch, slots.size() - from);
            float[] x = new float[n * length];
            long[] t = new long[n];
            for (int k = 0; k < n; k++) {
                Slot slot = slots.get(from + k);
                System.arraycopy(slot.job().state().samples()[slot.index()], 0, x, k * length, length);
                t[k] = slot.job().state().currentTimestep();
            }
            long start = System.nanoTime();
            float[] y = model.predict(x, t, n);
            stepLatency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            batchSizes.record(n);
            for (int k = 0; k < n; k++) {
                Slot slot = slots.get(from + k);
                float[] out = new float[length];
                System.arraycopy(y, k * length, out, 0, length);
                outputs.get(slot.job())[slot.index()] = out;
            }
        }
        return outputs;
    }

    private void notify(SamplingJob job) {
        try {
            job.afterStep();
        } catch (RuntimeException e) {
            // The caller's side failed (a closed stream): its slots are freed.
            LOG.debugf("request %s listener failed (%s); cancelling it", job.id(), e.getMessage());
            job.cancel();
        }
        if (job.state().finished()) {
            meters.counter("ddpm_sampler_images_total", "model", job.model().name()).increment(job.spec().count());
        }
    }

    private void fail(SamplingJob job, RuntimeException error) {
        job.cancel();
        try {
            job.listener().failed(error);
        } catch (RuntimeException e) {
            LOG.debugf("request %s failure listener failed: %s", job.id(), e.getMessage());
        }
    }

    private void announceQueuePositions() {
        int position = 0;
        for (SamplingJob job : waiting) {
            position++;
            Integer previous = announcedPositions.put(job, position);
            if (previous == null || previous != position) {
                try {
                    job.listener().progress(0, job.state().totalSteps(), Double.NaN, position);
                } catch (RuntimeException e) {
                    job.cancel();
                }
            }
        }
    }
}
