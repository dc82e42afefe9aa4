package dev.ddpm.sampler.service;

import dev.ddpm.core.api.OutputFormat;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.diffusion.AnimationFrames;
import dev.ddpm.sampler.batching.QueueFullException;
import dev.ddpm.sampler.config.SamplerConfig;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;

import java.util.Locale;

/**
 * Admission by memory, beside the batcher's admission by work: the bytes each held request keeps
 * until it ends (its animation frames, 8-bit, and the float working copies of its images) counted
 * against {@code sampler.queue.max-held-bytes}, so that many large GIF or VIDEO requests are refused
 * (429 with a retry hint, as a full queue) rather than exhaust the heap.
 */
@Singleton
public class HeldMemory {

    /**
     * Float copies of one image a request holds while it samples: x_t, the predicted x_0, the
     * network's output, a multistep scheduler's history (up to three), the noise drawn, and a
     * preview waiting to be encoded.
     */
    static final int WORKING_COPIES = 8;

    private static final double MIB = 1024.0 * 1024.0;

    private final long bound;
    private final SamplerConfig config;
    /** Bytes reserved by the requests held now; guarded by this. */
    private long held;

    public HeldMemory(SamplerConfig config, MeterRegistry meters) {
        this.config = config;
        this.bound = config.queue().maxHeldBytes().asLongValue();
        if (bound < 1) {
            throw new IllegalArgumentException("sampler.queue.max-held-bytes must be >= 1, was " + bound);
        }
        meters.gauge("ddpm_sampler_held_bytes", this, HeldMemory::held);
    }

    /** The request's bytes, held until the reservation is closed. */
    public interface Reservation extends Runnable {}

    /**
     * Reserves what {@code spec} (steps decided) holds for images of {@code imageLength} values.
     *
     * @throws InvalidSampleRequestException the request alone needs more than the bound: it can never be taken
     * @throws QueueFullException            the held requests leave too little of the bound now
     */
    public Reservation reserve(SamplingRequest spec, int imageLength) {
        long needs = bytes(spec, imageLength);
        if (needs > bound) {
            throw new InvalidSampleRequestException(
                    "count",
                    "the request would hold " + describe(spec, imageLength, needs) + ", more than the " + mib(bound)
                            + " all requests may hold together (sampler.queue.max-held-bytes)");
        }
        synchronized (this) {
            if (held + needs > bound) {
                throw new QueueFullException(
                        "the request would hold " + describe(spec, imageLength, needs) + " and the requests held"
                                + " now hold " + mib(held) + " of the bound of " + mib(bound)
                                + " (sampler.queue.max-held-bytes)",
                        config.retryAfter());
            }
            held += needs;
        }
        return new Reservation() {
            private boolean released;

            @Override
            public void run() {
                synchronized (HeldMemory.this) {
                    if (!released) {
                        released = true;
                        held -= needs;
                    }
                }
            }
        };
    }

    /** Bytes reserved by the requests held now. */
    public synchronized long held() {
        return held;
    }

    /** What the request holds until it ends: its frames (8-bit) and its images' working copies (float). */
    static long bytes(SamplingRequest spec, int imageLength) {
        long images = spec.count();
        return images * imageLength * (frames(spec) + (long) WORKING_COPIES * Float.BYTES);
    }

    /** Frames per image of an animation, x_T among them; 0 for the other outputs. */
    static int frames(SamplingRequest spec) {
        boolean animated = spec.output() == OutputFormat.GIF || spec.output() == OutputFormat.VIDEO;
        return animated ? AnimationFrames.stepsShown(spec.steps(), AnimationFrames.DEFAULT_FRAMES).length + 1 : 0;
    }

    private static String describe(SamplingRequest spec, int imageLength, long bytes) {
        int frames = frames(spec);
        return mib(bytes) + " (" + spec.count() + " images of " + imageLength + " values x ("
                + (frames > 0 ? frames + " frames of 1 byte + " : "") + WORKING_COPIES
                + " working copies of 4 bytes))";
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / MIB);
    }
}
