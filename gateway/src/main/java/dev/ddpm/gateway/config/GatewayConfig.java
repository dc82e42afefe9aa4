package dev.ddpm.gateway.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The gateway's settings (prefix {@code gateway}); see docs/configuration.md. */
@ConfigMapping(prefix = "gateway")
public interface GatewayConfig {

    /**
     * Where the sampler replicas are, as a gRPC target: {@code dns:///host:port} resolves every
     * address of the name (a Kubernetes headless service) and spreads calls round-robin over them;
     * a comma-separated list of host:port also works.
     */
    @WithDefault("dns:///127.0.0.1:8081")
    String samplers();

    /**
     * How often the gateway looks the samplers' name up again while its connections stay up, so that
     * sampler pods added since (a scale-out, a rolling update) get calls: the channel's connections are
     * replaced as their calls end.
     */
    @WithDefault("30s")
    Duration samplersRefresh();

    /** Deadline of one sampling call to a sampler. */
    @WithDefault("10m")
    Duration samplingDeadline();

    /** Most images one request may ask for. */
    @WithDefault("64")
    int maxCount();

    /** Largest data set upload, in bytes: counted while it streams to S3. */
    @WithDefault("268435456")
    long maxUploadBytes();

    /** Largest JSON request body, in bytes (every body but an upload). */
    @WithDefault("1048576")
    long maxJsonBytes();

    Auth auth();

    Streams streams();

    Uploads uploads();

    TrainingQuota trainingQuota();

    /**
     * The training work each API key may hold, checked when a run is requested (REST and gRPC); a key's
     * own limits in {@code gateway.auth.keys.<id>.training-*} replace these. Admin keys are held to them
     * too: give one its own limits to exempt it.
     */
    interface TrainingQuota {

        /** Runs of one key the trainers report running; at this many, a new run is refused (429). */
        @WithDefault("1")
        int concurrentRuns();

        /** Runs of one key requested and not started yet; at this many, a new run is refused (429). */
        @WithDefault("4")
        int queuedRuns();

        /**
         * Training minutes per rolling 24 h: what its runs ran in the last 24 h, plus the time boxes
         * ({@code maxMinutes}) still committed by its queued and running runs, plus the new run's box.
         */
        @WithDefault("480")
        double minutesPerDay();

        /**
         * Largest run (steps x batch size, in images) that may be requested without a time box
         * ({@code maxMinutes}); a larger one without is refused (400).
         */
        @WithDefault("200000")
        long maxUnboxedImages();

        /**
         * How long a requested run that no trainer has reported on counts as queued: beyond, it is
         * presumed lost and holds nothing. The default is the retention of ddpm.training-requests: a
         * request older than that is gone from the topic, so no trainer can start it any more; a shorter
         * expiry would free slots of runs a trainer may still start.
         */
        @WithDefault("7d")
        Duration queuedExpiry();
    }

    /**
     * Data set uploads (REST and gRPC): how many run at once, on their own threads, and how slowly a
     * client may send one. Each running upload holds at most one S3 part in memory
     * (ArtifactStore.STREAM_PART_BYTES, 5 MiB), so part buffers stay under max-concurrent x 5 MiB.
     */
    interface Uploads {

        /** Uploads the gateway runs at once over all keys (its upload threads); beyond: 429 / RESOURCE_EXHAUSTED. */
        @WithDefault("8")
        int maxConcurrent();

        /** Uploads one API key may run at once; beyond: 429 / RESOURCE_EXHAUSTED. */
        @WithDefault("2")
        int maxConcurrentPerKey();

        /**
         * Slowest average rate, in bytes per second of waiting for the client, an upload may arrive
         * at once its grace has passed; slower: cut off with 408, nothing stored.
         */
        @WithDefault("16384")
        long minBytesPerSecond();

        /** Waiting for the client that is never held against the minimum rate (a slow start). */
        @WithDefault("10s")
        Duration rateGrace();

        /** Longest an upload may take from its first byte to its last; longer: cut off with 408. */
        @WithDefault("10m")
        Duration maxDuration();
    }

    /** Training event streams (SSE and gRPC WatchTraining). */
    interface Streams {

        /** Streams one API key may hold open at once; beyond: 429 / RESOURCE_EXHAUSTED. */
        @WithDefault("8")
        int maxPerKey();

        /** How often an SSE stream carries a comment line while nothing happens (proxies keep it open). */
        @WithDefault("15s")
        Duration heartbeat();
    }

    interface Auth {

        /** Off only for a single-user machine: every request then acts with every scope. */
        @WithDefault("true")
        boolean enabled();

        /**
         * API keys by id: {@code gateway.auth.keys.<id>.sha256} (hex sha256 of the key; the key itself is
         * never configured) and {@code .scopes} (sample, train, admin).
         */
        Map<String, ApiKey> keys();

        /** Requests per second each key may make (token bucket), and the burst it may save up. */
        @WithDefault("10")
        double ratePerSecond();

        @WithDefault("40")
        int burst();

        /**
         * Network evaluations (images x steps) per second each key's sampling requests may use, and the
         * burst it may save up: the quota in work, so that a key cannot fill the samplers with large
         * requests at a normal request rate.
         */
        @WithDefault("1000")
        double evaluationsPerSecond();

        @WithDefault("64000")
        long evaluationBurst();
    }

    interface ApiKey {
        String sha256();

        Set<String> scopes();

        /** This key's own request rate, instead of {@code gateway.auth.rate-per-second} (a quota per client). */
        Optional<Double> ratePerSecond();

        /** This key's own burst, instead of {@code gateway.auth.burst}. */
        Optional<Long> burst();

        /** This key's own evaluation rate, instead of {@code gateway.auth.evaluations-per-second}. */
        Optional<Double> evaluationsPerSecond();

        /** This key's own evaluation burst, instead of {@code gateway.auth.evaluation-burst}. */
        Optional<Long> evaluationBurst();

        /** This key's own running runs, instead of {@code gateway.training-quota.concurrent-runs}. */
        Optional<Integer> trainingConcurrentRuns();

        /** This key's own queued runs, instead of {@code gateway.training-quota.queued-runs}. */
        Optional<Integer> trainingQueuedRuns();

        /** This key's own training minutes per 24 h, instead of {@code gateway.training-quota.minutes-per-day}. */
        Optional<Double> trainingMinutesPerDay();

        /** This key's own largest run without a time box, instead of {@code gateway.training-quota.max-unboxed-images}. */
        Optional<Long> trainingMaxUnboxedImages();
    }
}
