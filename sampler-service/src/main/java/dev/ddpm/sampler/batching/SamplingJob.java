package dev.ddpm.sampler.batching;

import dev.ddpm.core.diffusion.SamplingState;
import dev.ddpm.core.diffusion.Schedulers;
import dev.ddpm.core.events.OutputFormat;
import dev.ddpm.sampler.engine.LoadedModel;

import java.util.ArrayList;
import java.util.List;

/**
 * A request inside the batcher: its lease on one model version, its reverse-process state, and its
 * listener. All images of a job are at the same step; jobs at different steps share network calls.
 */
public final class SamplingJob {

    /** Frames kept for an animated result: about this many, evenly spread over the steps. */
    static final int ANIMATION_FRAMES = 25;

    private final String id;
    private final SampleSpec spec;
    private final LoadedModel.Lease lease;
    private final SamplingState state;
    private final JobListener listener;
    private final List<float[][]> frames = new ArrayList<>();
    private final long createdNanos = System.nanoTime();
    private long startedNanos;
    private volatile boolean cancelled;

    public SamplingJob(String id, SampleSpec spec, LoadedModel.Lease lease, JobListener listener) {
        this.id = id;
        this.spec = spec;
        this.lease = lease;
        this.listener = listener;
        LoadedModel model = lease.model();
        this.state = new SamplingState(() -> Schedulers.create(model.manifest().diffusion(), spec.sampler(), spec.steps(),
                spec.eta(), spec.variance(), spec.clipX0()), spec.count(), model.imageLength(), spec.seed(), 0);
    }

    public String id() {
        return id;
    }

    public SampleSpec spec() {
        return spec;
    }

    public LoadedModel model() {
        return lease.model();
    }

    public SamplingState state() {
        return state;
    }

    JobListener listener() {
        return listener;
    }

    /** Frees the job's batch slots at the next step. */
    public void cancel() {
        cancelled = true;
    }

    public boolean cancelled() {
        return cancelled;
    }

    void started() {
        startedNanos = System.nanoTime();
    }

    /** After each step: progress, previews, animation frames, and the result when done. */
    void afterStep() {
        int done = state.stepsDone();
        int total = state.totalSteps();
        double perStep = (System.nanoTime() - startedNanos) / 1e9 / done;
        if (spec.output() == OutputFormat.GIF && (done % Math.max(1, total / ANIMATION_FRAMES) == 0 || done == total)) {
            float[][] copy = new float[state.count()][];
            for (int i = 0; i < copy.length; i++) {
                copy[i] = state.samples()[i].clone();
            }
            frames.add(copy);
        }
        listener.progress(done, total, perStep * (total - done), 0);
        if (spec.previewEvery() > 0 && done % spec.previewEvery() == 0 && done < total) {
            for (int i = 0; i < state.count(); i++) {
                listener.preview(model().manifest().image(), done, i, state.predictedX0()[i]);
            }
        }
        if (state.finished()) {
            listener.completed(model().manifest(), state.samples(), List.copyOf(frames),
                    (System.nanoTime() - createdNanos) / 1e9);
        }
    }

    void release() {
        lease.close();
    }
}
