package dev.ddpm.sampler.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The sampler's settings (prefix {@code sampler}); see docs/configuration.md. */
@ConfigMapping(prefix = "sampler")
public interface SamplerConfig {

    /** auto (CUDA where a GPU is present, else CPU), cuda (fail without one), or cpu. */
    @WithDefault("auto")
    String executionProvider();

    /** ONNX Runtime intra-op threads per session; 0 = one per core. */
    @WithDefault("0")
    int intraOpThreads();

    /**
     * Models to load at start (production per their alias documents, else their newest versions);
     * empty: every model in the models bucket.
     */
    Optional<List<String>> models();

    /** Most images in one network call; concurrent requests share it step by step. */
    @WithDefault("16")
    int maxBatch();

    Queue queue();

    Scheduling scheduling();

    /**
     * Versions requests pinned (through {@code version}) kept loaded at once beside the current
     * ones; the least recently used beyond this is unloaded (loaded again when asked for).
     */
    @WithDefault("4")
    int maxPinnedVersions();

    /** Most images one request may ask for. */
    @WithDefault("64")
    int maxImagesPerRequest();

    /** The shortest retry hint sent with a refusal (longer when the backlog says so). */
    @WithDefault("2s")
    Duration retryAfter();

    /**
     * Share network calls between requests (step-level batching). Off: one call per request per
     * step, for comparison (docs/benchmarks.md).
     */
    @WithDefault("true")
    boolean batching();

    /** Follow ModelPublished on ddpm.models and swap new versions in. */
    @WithDefault("true")
    boolean followPublications();

    /**
     * How often the alias documents of the models served are read again, so that a change whose
     * announcement (ModelAliasChanged) was missed still takes effect.
     */
    @WithDefault("30s")
    Duration aliasesRefresh();

    Jobs jobs();

    Previews previews();

    Sessions sessions();

    Signing signing();

    /**
     * Which manifests are trusted: a version loads only when its manifest carries a signature by
     * one of these keys (docs/architecture.md, "Signed manifests").
     */
    interface Signing {

        /**
         * Refuse versions whose manifest is not signed by a trusted key. false only on a development
         * machine: any graph in the models bucket then loads, which is logged at start.
         */
        @WithDefault("true")
        boolean required();

        /** Trusted public keys, each PEM text or its base64 DER body (one per trainer key in use). */
        Optional<List<String>> trustedKeys();

        /** Files of trusted public keys (PEM), or folders whose {@code *.pem} files each hold one (a mounted Secret). */
        Optional<List<Path>> trustedKeyFiles();
    }

    /** Previews streamed to gRPC callers (docs/api.md, "Previews"). */
    interface Previews {

        /**
         * Most previews of each image of a request: a request's {@code previewEvery} is raised to at
         * least ceil(steps / this), never refused.
         */
        @WithDefault("50")
        int maxPerImage();

        /**
         * Threads that encode previews as PNG, off the step batcher's thread; each request waits
         * for at most one turn on them, with only the newest preview of each image.
         */
        @WithDefault("2")
        int encoderThreads();
    }

    /** ONNX Runtime sessions: the versions a request may load beside those served by default. */
    interface Sessions {

        /**
         * Most sessions open at once beyond the versions served by default (production and canary,
         * which always load, however many models a sampler serves): pinned versions, and retired
         * ones still leased by a request. A request that would load a pinned version beyond it is
         * refused (429 / RESOURCE_EXHAUSTED).
         */
        @WithDefault("8")
        int maxOpen();

        /**
         * Loads of pinned versions (a version not loaded yet, asked for by {@code version}) one
         * caller (the {@code ddpm-caller} header; without one, all such callers together) may
         * start per minute; 0: no limit.
         */
        @WithDefault("6")
        int loadsPerCallerPerMinute();
    }

    /** Asynchronous jobs from {@code ddpm.sample-jobs} (docs/architecture.md, "The sampler"). */
    interface Jobs {

        /**
         * Jobs this replica holds at once, from reading the record to acknowledging it (waiting for
         * a place in the batcher, sampling, storing and announcing the outcome); while it holds this
         * many it reads no further job.
         */
        @WithDefault("64")
        int queueCapacity();

        /**
         * How long after it was requested (its record's time, so a record delivered again gets only
         * what is left) a job may take to end; one still waiting or sampling then fails as "deadline
         * exceeded". Below the channel's unprocessed-record-max-age, so that no record is held past it.
         */
        @WithDefault("20m")
        Duration deadline();
    }

    /** What the sampler holds at once beyond which new requests are refused (429 / RESOURCE_EXHAUSTED). */
    interface Queue {

        /** Requests held, running or waiting for their first slot. */
        @WithDefault("64")
        int maxRequests();

        /**
         * Network evaluations (images x steps) not yet done, over all held requests. A request that
         * alone is larger is still taken when nothing else is held.
         */
        @WithDefault("256000")
        long maxEvaluations();

        /**
         * Memory the held requests may hold together: their animation frames (GIF, VIDEO) and the
         * working copies of their images ({@code HeldMemory}). A request that alone needs more is
         * refused as invalid (400).
         */
        @WithDefault("256M")
        MemorySize maxHeldBytes();
    }

    /** How a network call's image slots are shared (docs/architecture.md, "Scheduling"). */
    interface Scheduling {

        /** Most slots one request holds at once; absent: the whole batch. */
        Optional<Integer> maxSlotsPerRequest();

        /**
         * Share of the batch kept for asynchronous jobs while they have work; interactive requests
         * get the rest, and either side uses what the other leaves idle.
         */
        @WithDefault("0.25")
        double backgroundShare();
    }
}
