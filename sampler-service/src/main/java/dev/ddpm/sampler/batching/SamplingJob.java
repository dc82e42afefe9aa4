package dev.ddpm.sampler.batching;

import dev.ddpm.core.api.OutputFormat;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.diffusion.AnimationFrames;
import dev.ddpm.core.diffusion.SamplingState;
import dev.ddpm.core.diffusion.Scheduler;
import dev.ddpm.core.diffusion.SchedulerSettings;
import dev.ddpm.core.diffusion.Schedulers;
import dev.ddpm.core.image.ImageEncoding;
import dev.ddpm.sampler.engine.LoadedModel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * A request inside the batcher: its lease on one model version, its listener, and the reverse
 * process of each of its images. Images are slots of their own: each starts when the batcher gives
 * the request a slot, may pause between steps when others need the slot, and draws its noise with
 * key (seed, index), so the result depends on nothing but the seed and the settings.
 */
public final class SamplingJob {

    private final String id;
    private final SamplingRequest spec;
    private final Priority priority;
    private final LoadedModel.Lease lease;
    private final JobListener listener;
    private final Supplier<Scheduler> schedulers;
    private final SamplingState[] images;
    /** Per image, its animation frames as 8-bit pixels: a quarter of their float size, all an encoder needs. */
    private final List<List<byte[]>> frames = new ArrayList<>();

    private final long createdNanos = System.nanoTime();
    private final long deadlineNanos;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private volatile boolean completed;
    private volatile Runnable onCancel = () -> {};
    private final Runnable onRelease;
    private long firstStepNanos = -1;
    private int started;
    private int finished;
    private long evaluationsDone;
    private int[] shownSteps;

    /** @param spec with its steps resolved (never null) */
    public SamplingJob(
            String id, SamplingRequest spec, Priority priority, LoadedModel.Lease lease, JobListener listener) {
        this(id, spec, priority, lease, listener, () -> {});
    }

    /** @param onRelease what else the job holds beside its lease (memory it was admitted with), given back with it, once */
    public SamplingJob(
            String id,
            SamplingRequest spec,
            Priority priority,
            LoadedModel.Lease lease,
            JobListener listener,
            Runnable onRelease) {
        this.id = id;
        this.onRelease = onRelease;
        this.spec = spec;
        this.priority = priority;
        this.lease = lease;
        this.listener = listener;
        LoadedModel model = lease.model();
        SchedulerSettings settings = SchedulerSettings.of(spec.sampler())
                .withSteps(spec.steps())
                .withEta(spec.eta())
                .withVariance(spec.ddpmVariance())
                .withClipX0(spec.clipX0())
                .withThreshold(spec.threshold())
                .withOrder(spec.order())
                .withSpacing(spec.spacing());
        this.schedulers = () -> Schedulers.create(model.manifest().diffusion(), settings);
        this.images = new SamplingState[spec.count()];
        this.deadlineNanos = spec.deadline() == null
                ? Long.MAX_VALUE
                : createdNanos + spec.deadline().toNanos();
        for (int i = 0; i < spec.count(); i++) {
            frames.add(new ArrayList<>());
        }
    }

    public String id() {
        return id;
    }

    private boolean animated() {
        return spec.output() == OutputFormat.GIF || spec.output() == OutputFormat.VIDEO;
    }

    /** The steps after which an animation takes a frame ({@link AnimationFrames}); the same for every image. */
    private int[] shownSteps(int totalSteps) {
        if (shownSteps == null) {
            shownSteps = AnimationFrames.stepsShown(totalSteps, AnimationFrames.DEFAULT_FRAMES);
        }
        return shownSteps;
    }

    public SamplingRequest spec() {
        return spec;
    }

    public Priority priority() {
        return priority;
    }

    public LoadedModel model() {
        return lease.model();
    }

    JobListener listener() {
        return listener;
    }

    /** Frees the job's slots at the next step and its place in the queue at once; nothing once it completed. */
    public void cancel() {
        if (!completed && cancelled.compareAndSet(false, true)) {
            onCancel.run();
        }
    }

    public boolean cancelled() {
        return cancelled.get();
    }

    void onCancel(Runnable action) {
        this.onCancel = action;
    }

    /** Network evaluations the whole request takes: images x evaluations per image. */
    public long evaluations() {
        return (long) spec.count() * spec.evaluationsPerImage();
    }

    long remainingEvaluations() {
        return evaluations() - evaluationsDone;
    }

    long evaluationsDone() {
        return evaluationsDone;
    }

    boolean pastDeadline(long now) {
        return now - deadlineNanos > 0;
    }

    long createdNanos() {
        return createdNanos;
    }

    /** No image has taken a step yet. */
    boolean waiting() {
        return firstStepNanos < 0;
    }

    boolean finished() {
        return finished == spec.count();
    }

    int unfinishedImages() {
        return spec.count() - finished;
    }

    /**
     * The images that take this step, {@code slots} of them at most: those already under way, the
     * most advanced first (they free their memory soonest), then new ones in index order.
     */
    List<Integer> pick(int slots) {
        List<Integer> running = new ArrayList<>();
        for (int i = 0; i < started; i++) {
            if (!images[i].finished()) {
                running.add(i);
            }
        }
        running.sort(
                Comparator.comparingInt((Integer i) -> images[i].stepsDone()).reversed());
        List<Integer> chosen = new ArrayList<>(running.subList(0, Math.min(slots, running.size())));
        while (chosen.size() < slots && started < images.length) {
            images[started] = new SamplingState(schedulers, 1, model().imageLength(), spec.seed(), started);
            if (animated()) {
                frames.get(started).add(ImageEncoding.quantise(images[started].samples()[0])); // x_T, the first frame
            }
            chosen.add(started++);
        }
        if (!chosen.isEmpty() && firstStepNanos < 0) {
            firstStepNanos = System.nanoTime();
        }
        return chosen;
    }

    /** Current x_t of image {@code index}. */
    float[] sample(int index) {
        return images[index].samples()[0];
    }

    int timestep(int index) {
        return images[index].currentTimestep();
    }

    /** One reverse step of image {@code index}, given the network's output at its timestep. */
    void advance(int index, float[] modelOutput) {
        SamplingState image = images[index];
        image.step(new float[][] {modelOutput});
        evaluationsDone++;
        int done = image.stepsDone();
        int total = image.totalSteps();
        if (animated() && Arrays.binarySearch(shownSteps(total), done) >= 0) {
            frames.get(index).add(ImageEncoding.quantise(image.samples()[0]));
        }
        if (spec.previewEvery() > 0 && done % spec.previewEvery() == 0 && done < total) {
            listener.preview(model().manifest().image(), done, index, image.predictedX0()[0].clone());
        }
        if (image.finished()) {
            finished++;
        }
    }

    /**
     * After a step that advanced this job: progress (steps as the request's share of its work done,
     * so a request sampled in waves still counts 0..steps once), and the result when done.
     */
    void afterStep() {
        int total = spec.evaluationsPerImage();
        int done = (int) (evaluationsDone / spec.count());
        double seconds = (System.nanoTime() - firstStepNanos) / 1e9;
        double eta = evaluationsDone == 0 ? Double.NaN : seconds / evaluationsDone * remainingEvaluations();
        listener.progress(done, total, eta, 0);
        if (finished()) {
            completed = true;
            float[][] results = new float[images.length][];
            for (int i = 0; i < images.length; i++) {
                results[i] = images[i].samples()[0];
            }
            listener.completed(model().manifest(), results, framesByStep(), (System.nanoTime() - createdNanos) / 1e9);
        }
    }

    /** Frame f of every image (all images keep frames at the same steps). */
    private List<byte[][]> framesByStep() {
        List<byte[][]> byStep = new ArrayList<>();
        for (int f = 0; f < frames.get(0).size(); f++) {
            byte[][] frame = new byte[images.length][];
            for (int i = 0; i < images.length; i++) {
                frame[i] = frames.get(i).get(f);
            }
            byStep.add(frame);
        }
        return byStep;
    }

    void release() {
        lease.close();
        onRelease.run();
    }
}
