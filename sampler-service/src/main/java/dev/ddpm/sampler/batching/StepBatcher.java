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

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Step-level continuous batching at the granularity of images: one thread runs the loop; each turn
 * it shares the batch's image slots between the requests it holds ({@link FairShare}), makes one
 * network call per model version for the images that got a slot (whatever their timesteps, step
 * counts or samplers), and advances each by one step. A request's images join as slots free up and
 * may pause between steps, so a large request never blocks a small one and never waits for an empty
 * batch; a cancelled request leaves the queue at once and frees its slots at the next step.
 *
 * <p>Admission is bounded in work, not in requests alone: the evaluations (images x steps) not yet
 * done over all held requests, with a retry hint from the measured throughput; a request with a
 * deadline it cannot meet is refused before it is queued, and one that runs past it is cancelled.
 *
 * <p>A failure is the request's own: an exception in one request's image picking, scheduler step,
 * preview or listener fails that request alone, and a network call that fails for a batch is made
 * again for each request's images alone, so that only the request whose input breaks it fails
 * (all of them, with a message that says so, when the model fails every call). The loop outlives
 * any throwable; a turn that fails as a whole fails the requests it was stepping, never again the
 * next turn. The time since the last completed turn is the heartbeat liveness watches
 * ({@link #turnGap()}). For a shutdown the batcher stops admitting ({@link #stopAdmitting()}),
 * finishes what it holds, and fails what is left when told ({@link #abandonHeld}).
 */
@Singleton
public class StepBatcher {

    private static final Logger LOG = Logger.getLogger(StepBatcher.class);
    /** Weight of the newest turn in the moving averages of turn time and throughput. */
    private static final double SMOOTHING = 0.2;

    private static final Duration LONGEST_RETRY_HINT = Duration.ofMinutes(10);

    private final SamplerConfig config;
    private final int capacity;
    private final int slotsPerRequest;
    private final int backgroundReserve;
    private final BlockingQueue<SamplingJob> arrivals = new LinkedBlockingQueue<>();
    /** In arrival order; the loop thread's own. */
    private final List<SamplingJob> jobs = new ArrayList<>();

    private final Map<SamplingJob, Integer> announcedPositions = new IdentityHashMap<>();

    private final Object admission = new Object();
    /** Held requests and the evaluations each still counts in {@link #backlog}; guarded by {@link #admission}. */
    private final Map<SamplingJob, Long> held = new IdentityHashMap<>();

    private long backlog;

    private volatile List<FairShare.Demand> lastDemands = List.of();
    private volatile double turnSeconds = Double.NaN;
    private volatile double evaluationsPerSecond = Double.NaN;
    private volatile int waitingRequests;
    private volatile int activeRequests;
    private volatile int activeImages;
    private volatile int backlogImages;

    private final MeterRegistry meters;
    private final DistributionSummary batchSizes;
    private final Timer stepLatency;
    private final Map<Priority, Timer> waits = new EnumMap<>(Priority.class);
    private volatile boolean running;
    private Thread thread;
    /** When the loop last completed a turn (System.nanoTime), busy or idle: the heartbeat. */
    private volatile long lastTurnNanos = System.nanoTime();
    /** Set when the sampler begins to shut down: every new request is refused from then on. */
    private volatile boolean draining;
    /** Set when the drain time is up: the loop fails every request it holds with it. */
    private volatile RuntimeException abandoned;
    /** The requests of the turn under way, failed together when the turn itself fails; the loop thread's own. */
    private List<SamplingJob> turnJobs = List.of();

    public StepBatcher(SamplerConfig config, MeterRegistry meters) {
        this.config = config;
        this.capacity = config.maxBatch();
        this.slotsPerRequest =
                Math.min(capacity, config.scheduling().maxSlotsPerRequest().orElse(capacity));
        double share = config.scheduling().backgroundShare();
        if (capacity < 1 || slotsPerRequest < 1) {
            throw new IllegalArgumentException(
                    "sampler.max-batch and sampler.scheduling.max-slots-per-request must be >= 1");
        }
        if (config.queue().maxRequests() < 1 || config.queue().maxEvaluations() < 1) {
            throw new IllegalArgumentException(
                    "sampler.queue.max-requests and sampler.queue.max-evaluations must be >= 1, were "
                            + config.queue().maxRequests() + " and "
                            + config.queue().maxEvaluations());
        }
        if (!(share >= 0 && share <= 1)) {
            throw new IllegalArgumentException("sampler.scheduling.background-share must be in [0, 1], was " + share);
        }
        this.backgroundReserve = share == 0 ? 0 : Math.max(1, (int) Math.floor(share * capacity));
        this.meters = meters;
        this.batchSizes = DistributionSummary.builder("ddpm_sampler_batch_images")
                .description("images per network call")
                .register(meters);
        this.stepLatency = Timer.builder("ddpm_sampler_step_seconds")
                .description("one network call and the scheduler steps it feeds")
                .register(meters);
        for (Priority priority : Priority.values()) {
            waits.put(
                    priority,
                    Timer.builder("ddpm_sampler_wait_seconds")
                            .description("from arrival to a request's first step")
                            .tag("priority", tag(priority))
                            .publishPercentileHistogram()
                            .register(meters));
        }
        meters.gauge("ddpm_sampler_queue_depth", this, b -> b.waitingRequests);
        meters.gauge("ddpm_sampler_active_requests", this, b -> b.activeRequests);
        meters.gauge("ddpm_sampler_active_images", this, b -> b.activeImages);
        meters.gauge("ddpm_sampler_backlog_images", this, b -> b.backlogImages);
        meters.gauge("ddpm_sampler_backlog_evaluations", this, StepBatcher::backlogEvaluations);
        meters.gauge("ddpm_sampler_slot_utilisation", this, b -> (double) b.activeImages / b.capacity);
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
        lastTurnNanos = System.nanoTime();
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

    /**
     * Takes a request; its first images step at the next turn that has a slot for it.
     *
     * @throws QueueFullException the sampler holds its most requests or evaluations
     * @throws DeadlineException  the request cannot finish before its deadline
     */
    public void submit(SamplingJob job) {
        try {
            synchronized (admission) {
                if (draining) {
                    throw refusedWhileDraining();
                }
                admit(job);
                held.put(job, job.evaluations());
                backlog += job.evaluations();
            }
        } catch (RuntimeException e) {
            meters.counter(
                            "ddpm_sampler_refused_total",
                            "reason",
                            e instanceof DeadlineException
                                    ? "deadline"
                                    : e instanceof SamplerShuttingDownException ? "shutdown" : "queue",
                            "priority",
                            tag(job.priority()))
                    .increment();
            job.release();
            throw e;
        }
        job.onCancel(() -> {
            settle(job);
            meters.counter(
                            "ddpm_sampler_cancelled_total",
                            "priority",
                            tag(job.priority()),
                            "when",
                            job.waiting() ? "waiting" : "running")
                    .increment();
        });
        arrivals.add(job);
    }

    private void admit(SamplingJob job) {
        if (held.size() >= config.queue().maxRequests()) {
            throw new QueueFullException(
                    "the sampler holds " + held.size() + " requests, its most", config.retryAfter());
        }
        long max = config.queue().maxEvaluations();
        if (backlog > 0 && backlog + job.evaluations() > max) {
            throw new QueueFullException(
                    "the sampler's backlog is " + backlog + " network evaluations and this request"
                            + " needs " + job.evaluations() + " (" + job.spec().count() + " images x "
                            + job.spec().evaluationsPerImage()
                            + " evaluations), above the bound of " + max,
                    retryHint(backlog + job.evaluations() - max));
        }
        if (job.spec().deadline() != null) {
            double estimate = estimatedSeconds(job);
            double deadline = job.spec().deadline().toNanos() / 1e9;
            if (estimate > deadline) {
                throw new DeadlineException(String.format(
                        Locale.ROOT,
                        "the request cannot finish within its "
                                + "deadline of %.3f s: at the present load it needs about %.1f s",
                        deadline,
                        estimate));
            }
        }
    }

    /** Seconds until the backlog has drained by {@code excess} evaluations, at the measured throughput. */
    private Duration retryHint(long excess) {
        double rate = evaluationsPerSecond;
        if (!(rate > 0)) {
            return config.retryAfter();
        }
        Duration drain = Duration.ofMillis((long) Math.ceil(excess / rate * 1000));
        return drain.compareTo(config.retryAfter()) < 0
                ? config.retryAfter()
                : drain.compareTo(LONGEST_RETRY_HINT) > 0 ? LONGEST_RETRY_HINT : drain;
    }

    /**
     * How long the request would take if taken now: its steps times the turns its images need at
     * the share of slots it would get, at the measured turn time; 0 before anything was measured.
     */
    private double estimatedSeconds(SamplingJob job) {
        double turn = turnSeconds;
        if (!(turn > 0)) {
            return 0;
        }
        List<FairShare.Demand> demands = new ArrayList<>(lastDemands);
        demands.add(new FairShare.Demand(Math.min(job.spec().count(), slotsPerRequest), job.priority()));
        int slots = FairShare.allocate(demands, capacity, backgroundReserve)[demands.size() - 1];
        double waitForSlot = 0;
        if (slots == 0) {
            slots = 1;
            waitForSlot = evaluationsPerSecond > 0 ? backlog / evaluationsPerSecond : 0;
        }
        long turns = (long) Math.ceil(job.spec().count() / (double) slots)
                * job.spec().evaluationsPerImage();
        return waitForSlot + turns * turn;
    }

    /** Takes the job's outstanding evaluations off the backlog (once). */
    private void settle(SamplingJob job) {
        synchronized (admission) {
            Long outstanding = held.remove(job);
            if (outstanding != null) {
                backlog -= outstanding;
            }
        }
    }

    /** Requests waiting for their first slot. */
    public int queueDepth() {
        return waitingRequests;
    }

    /** Requests with images under way. */
    public int activeRequests() {
        return activeRequests;
    }

    /** Images that took the last step. */
    public int activeImages() {
        return activeImages;
    }

    /** Network evaluations the held requests still need. */
    public long backlogEvaluations() {
        synchronized (admission) {
            return backlog;
        }
    }

    /**
     * Refuses every request from now on (503 / gRPC UNAVAILABLE, so that callers go to another
     * replica); the requests held go on.
     */
    public void stopAdmitting() {
        draining = true;
    }

    /** Whether the batcher refuses new requests because the sampler is shutting down. */
    public boolean draining() {
        return draining;
    }

    /**
     * Refuses the request while the sampler shuts down, before the caller loads a model version for
     * nothing; {@link #submit} refuses it as well.
     *
     * @throws SamplerShuttingDownException the sampler is shutting down
     */
    public void refuseWhileDraining() {
        if (draining) {
            throw refusedWhileDraining();
        }
    }

    private SamplerShuttingDownException refusedWhileDraining() {
        return new SamplerShuttingDownException(
                "it takes no new requests: send this one to another replica", config.retryAfter());
    }

    /** Requests held, running or waiting for their first slot. */
    public int heldRequests() {
        synchronized (admission) {
            return held.size();
        }
    }

    /**
     * Fails every request the batcher holds, and any still arriving, with {@code reason}, at the
     * loop's next turn (so that no listener hears two threads at once).
     */
    public void abandonHeld(RuntimeException reason) {
        abandoned = reason;
    }

    /** The heartbeat: whether the loop runs, and how long ago it last completed a turn while it holds work. */
    public TurnGap turnGap() {
        int holding = heldRequests();
        Thread loop = thread;
        Duration since = holding == 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - lastTurnNanos);
        return new TurnGap(running && loop != null && loop.isAlive(), holding, since);
    }

    private void loop() {
        while (running) {
            try {
                turn();
            } catch (InterruptedException e) {
                if (!running) {
                    Thread.currentThread().interrupt();
                    return;
                }
                // not a stop (a listener's interrupt): the loop goes on
            } catch (Throwable e) {
                // A turn that failed as a whole fails the requests it stepped, which would fail it again.
                LOG.errorf(e, "step batcher turn failed; its %d requests fail, the loop goes on", turnJobs.size());
                failTurn(e);
            } finally {
                lastTurnNanos = System.nanoTime();
            }
        }
    }

    private void failTurn(Throwable cause) {
        RuntimeException error = asFailure(cause);
        for (SamplingJob job : turnJobs) {
            try {
                fail(job, error);
                jobs.remove(job);
                leave(job);
            } catch (Throwable e) {
                LOG.errorf("request %s could not be failed cleanly: %s", job.id(), e);
            }
        }
        turnJobs = List.of();
    }

    /** What a caller hears of a throwable that is not an exception of its own (an Error). */
    private static RuntimeException asFailure(Throwable cause) {
        return cause instanceof RuntimeException runtime
                ? runtime
                : new IllegalStateException("the sampler failed while stepping this request: " + cause, cause);
    }

    /**
     * Whether a throwable concerns the whole process (out of memory, a broken virtual machine) rather
     * than the request whose code raised it: it fails the whole turn, which frees what it held.
     */
    private static boolean processWide(Throwable e) {
        return e instanceof VirtualMachineError && !(e instanceof StackOverflowError);
    }

    private void turn() throws InterruptedException {
        if (jobs.isEmpty()) {
            SamplingJob first = arrivals.poll(200, TimeUnit.MILLISECONDS);
            if (first == null) {
                return;
            }
            jobs.add(first);
        }
        arrivals.drainTo(jobs);
        RuntimeException abandon = abandoned;
        if (abandon != null) {
            failAll(abandon);
            return;
        }
        turnJobs = new ArrayList<>(jobs);
        dropCancelledAndExpired();
        if (jobs.isEmpty()) {
            publishGauges(0);
            return;
        }
        long start = System.nanoTime();
        Map<SamplingJob, List<Integer>> work = share();
        turnJobs = new ArrayList<>(work.keySet());
        int images = 0;
        for (List<Integer> picked : work.values()) {
            images += picked.size();
        }
        step(work);
        double seconds = (System.nanoTime() - start) / 1e9;
        turnSeconds = average(turnSeconds, seconds);
        evaluationsPerSecond = average(evaluationsPerSecond, images / seconds);
        for (Iterator<SamplingJob> it = jobs.iterator(); it.hasNext(); ) {
            SamplingJob job = it.next();
            if (job.finished() || job.cancelled()) {
                leave(job);
                it.remove();
            }
        }
        turnJobs = List.of();
        publishGauges(images);
        announceQueuePositions();
    }

    /** Fails every request held, as the drain time is up. */
    private void failAll(RuntimeException reason) {
        for (SamplingJob job : jobs) {
            try {
                fail(job, reason);
                leave(job);
            } catch (Throwable e) {
                LOG.errorf("request %s could not be failed cleanly: %s", job.id(), e);
            }
        }
        jobs.clear();
        publishGauges(0);
    }

    private static double average(double previous, double sample) {
        return Double.isNaN(previous) ? sample : previous + SMOOTHING * (sample - previous);
    }

    private void dropCancelledAndExpired() {
        long now = System.nanoTime();
        for (Iterator<SamplingJob> it = jobs.iterator(); it.hasNext(); ) {
            SamplingJob job = it.next();
            if (!job.cancelled() && job.pastDeadline(now)) {
                meters.counter("ddpm_sampler_deadline_exceeded_total", "priority", tag(job.priority()))
                        .increment();
                fail(
                        job,
                        new DeadlineException(String.format(
                                Locale.ROOT,
                                "the request ran past its deadline of %.3f s (%d of %d evaluations done); cancelled",
                                job.spec().deadline().toNanos() / 1e9,
                                job.evaluationsDone(),
                                job.evaluations())));
            }
            if (job.cancelled()) {
                LOG.debugf("request %s cancelled after %d evaluations", job.id(), job.evaluationsDone());
                leave(job);
                it.remove();
            }
        }
    }

    /** This turn's slots (FairShare) and the images that take them, per job. */
    private Map<SamplingJob, List<Integer>> share() {
        List<FairShare.Demand> demands = new ArrayList<>(jobs.size());
        for (SamplingJob job : jobs) {
            demands.add(new FairShare.Demand(Math.min(job.unfinishedImages(), slotsPerRequest), job.priority()));
        }
        lastDemands = List.copyOf(demands);
        int[] slots = FairShare.allocate(demands, capacity, backgroundReserve);
        Map<SamplingJob, List<Integer>> work = new LinkedHashMap<>();
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] > 0) {
                SamplingJob job = jobs.get(i);
                boolean first = job.waiting();
                List<Integer> picked;
                try {
                    picked = job.pick(slots[i]);
                } catch (Throwable e) {
                    failAlone(job, e, "picking its images");
                    continue;
                }
                work.put(job, picked);
                if (first) {
                    announcedPositions.remove(job);
                    waits.get(job.priority()).record(System.nanoTime() - job.createdNanos(), TimeUnit.NANOSECONDS);
                }
            }
        }
        return work;
    }

    /**
     * One network call per model version (per request without batching), then one step per image;
     * whatever fails is the failing request's alone.
     */
    private void step(Map<SamplingJob, List<Integer>> work) {
        Map<Object, List<SamplingJob>> groups = new LinkedHashMap<>();
        for (SamplingJob job : work.keySet()) {
            groups.computeIfAbsent(config.batching() ? job.model() : job, m -> new ArrayList<>())
                    .add(job);
        }
        for (List<SamplingJob> group : groups.values()) {
            LoadedModel model = group.get(0).model();
            int length = model.imageLength();
            Map<SamplingJob, Output> outputs = evaluate(model, group, work);
            List<SamplingJob> advanced = new ArrayList<>(outputs.size());
            for (Map.Entry<SamplingJob, Output> entry : outputs.entrySet()) {
                SamplingJob job = entry.getKey();
                Output output = entry.getValue();
                try {
                    int k = output.firstImage();
                    for (int index : work.get(job)) {
                        float[] out = new float[length];
                        System.arraycopy(output.values(), k++ * length, out, 0, length);
                        job.advance(index, out);
                    }
                    advanced.add(job);
                } catch (Throwable e) {
                    failAlone(job, e, "its step");
                }
            }
            for (SamplingJob job : advanced) {
                notify(job);
            }
        }
        synchronized (admission) {
            for (Map.Entry<SamplingJob, List<Integer>> entry : work.entrySet()) {
                int done = entry.getValue().size();
                if (held.computeIfPresent(entry.getKey(), (job, outstanding) -> outstanding - done) != null) {
                    backlog -= done;
                }
            }
        }
    }

    /** A request's share of a network call's output: its images from {@code firstImage} on. */
    private record Output(float[] values, int firstImage) {}

    /**
     * The network's output for the group's images, per request. A
     * call that fails for several requests is made again for each request's images alone, so that only
     * the request whose input breaks it fails; when every request fails alone as well, the model
     * itself is at fault and the message says so.
     */
    private Map<SamplingJob, Output> evaluate(
            LoadedModel model, List<SamplingJob> group, Map<SamplingJob, List<Integer>> work) {
        Map<SamplingJob, Output> outputs = new LinkedHashMap<>();
        float[] together;
        try {
            together = predict(model, group, work);
        } catch (Throwable e) {
            if (processWide(e)) {
                throw e;
            }
            if (group.size() == 1) {
                fail(group.get(0), networkFailure(model, e, ""));
                return outputs;
            }
            LOG.warnf(
                    "model %s %s failed a network call for %d requests (%s); each is tried alone",
                    model.name(), model.version(), group.size(), e.getMessage());
            Map<SamplingJob, Throwable> failures = new LinkedHashMap<>();
            for (SamplingJob job : group) {
                try {
                    outputs.put(job, new Output(predict(model, List.of(job), work), 0));
                } catch (Throwable alone) {
                    if (processWide(alone)) {
                        throw alone;
                    }
                    failures.put(job, alone);
                }
            }
            String why = outputs.isEmpty()
                    ? "; it failed for every request in the batch alike, so the model itself is at fault"
                    : "; it failed for this request's images alone, while its batch neighbours' went through";
            if (outputs.isEmpty()) {
                LOG.errorf("model %s %s fails every network call: %s", model.name(), model.version(), e.getMessage());
            }
            failures.forEach((job, error) -> fail(job, networkFailure(model, error, why)));
            return outputs;
        }
        int k = 0;
        for (SamplingJob job : group) {
            outputs.put(job, new Output(together, k));
            k += work.get(job).size();
        }
        return outputs;
    }

    private static RuntimeException networkFailure(LoadedModel model, Throwable cause, String why) {
        return new NetworkCallException(
                "the network call of model " + model.name() + " version " + model.version() + " failed: "
                        + cause.getMessage() + why,
                cause);
    }

    /** Fails one request whose own code failed; a failure of the whole process fails the turn instead. */
    private void failAlone(SamplingJob job, Throwable e, String where) {
        if (processWide(e)) {
            throw (Error) e;
        }
        LOG.warnf(e, "request %s failed in %s; it fails alone", job.id(), where);
        fail(job, asFailure(e));
    }

    /** One network call for the images the requests of {@code group} step this turn, in their order. */
    float[] predict(LoadedModel model, List<SamplingJob> group, Map<SamplingJob, List<Integer>> work) {
        int length = model.imageLength();
        int n = 0;
        for (SamplingJob job : group) {
            n += work.get(job).size();
        }
        float[] x = new float[n * length];
        long[] t = new long[n];
        int k = 0;
        for (SamplingJob job : group) {
            for (int index : work.get(job)) {
                System.arraycopy(job.sample(index), 0, x, k * length, length);
                t[k++] = job.timestep(index);
            }
        }
        long start = System.nanoTime();
        float[] y = model.predict(x, t, n);
        stepLatency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        batchSizes.record(n);
        return y;
    }

    private void notify(SamplingJob job) {
        try {
            job.afterStep();
        } catch (Throwable e) {
            if (processWide(e)) {
                throw e;
            }
            // The caller's side failed (a closed stream, a listener's bug): the request ends, its slots freed.
            LOG.debugf("request %s listener failed (%s); it fails alone", job.id(), e);
            fail(job, asFailure(e));
        }
        if (job.finished()) {
            meters.counter("ddpm_sampler_images_total", "model", job.model().name())
                    .increment(job.spec().count());
            // per version, so that an operator can watch the share a canary serves
            meters.counter(
                            "ddpm_sampler_requests_served_total",
                            "model",
                            job.model().name(),
                            "version",
                            job.model().version())
                    .increment();
        }
    }

    private void fail(SamplingJob job, RuntimeException error) {
        job.cancel();
        try {
            job.listener().failed(error);
        } catch (Throwable e) {
            if (processWide(e)) {
                throw e;
            }
            LOG.debugf("request %s failure listener failed: %s", job.id(), e);
        }
    }

    private void leave(SamplingJob job) {
        settle(job);
        announcedPositions.remove(job);
        job.release();
    }

    private void publishGauges(int imagesThisTurn) {
        int waiting = 0;
        int images = 0;
        for (SamplingJob job : jobs) {
            waiting += job.waiting() ? 1 : 0;
            images += job.unfinishedImages();
        }
        waitingRequests = waiting;
        activeRequests = jobs.size() - waiting;
        activeImages = imagesThisTurn;
        backlogImages = images;
    }

    private void announceQueuePositions() {
        int position = 0;
        for (SamplingJob job : jobs) {
            if (!job.waiting()) {
                continue;
            }
            position++;
            Integer previous = announcedPositions.put(job, position);
            if (previous == null || previous != position) {
                try {
                    job.listener().progress(0, job.spec().evaluationsPerImage(), Double.NaN, position);
                } catch (RuntimeException e) {
                    job.cancel();
                }
            }
        }
    }

    private static String tag(Priority priority) {
        return priority.name().toLowerCase(Locale.ROOT);
    }
}
