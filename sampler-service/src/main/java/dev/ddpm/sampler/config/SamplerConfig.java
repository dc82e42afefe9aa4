package dev.ddpm.sampler.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

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

    /** Models to load at start (their newest versions); empty: every model in the models bucket. */
    Optional<List<String>> models();

    /** Most images in one network call; concurrent requests share it step by step. */
    @WithDefault("16")
    int maxBatch();

    /** Requests waiting for a batch slot beyond which new ones are refused (429 / RESOURCE_EXHAUSTED). */
    @WithDefault("32")
    int queueCapacity();

    /** Most images one request may ask for. */
    @WithDefault("64")
    int maxImagesPerRequest();

    /** The retry hint sent with a refusal. */
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
}
