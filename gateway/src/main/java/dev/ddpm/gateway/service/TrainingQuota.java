package dev.ddpm.gateway.service;

import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.gateway.config.GatewayConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * Each key's training quota, checked before a run is requested (both APIs): a time box
 * ({@code maxMinutes}) for runs above a size, and, counted from the runs this replica knows
 * ({@link TrainingUsage}), its running runs, its queued runs and its training minutes per rolling
 * 24 h. A key's requests are admitted one at a time on a replica, each counted with the ones before
 * it; replicas learn of each other's runs from the topics, a moment later (docs/architecture.md).
 */
@Singleton
@Startup
public class TrainingQuota {

    /** Limits of one key. */
    public record Limits(int concurrentRuns, int queuedRuns, double minutesPerDay, long maxUnboxedImages) {}

    private enum Reason {
        CONCURRENT_RUNS("concurrentRuns"),
        QUEUED_RUNS("queuedRuns"),
        TRAINING_MINUTES("trainingMinutes"),
        BOX_OVER_BUDGET("maxMinutes"),
        BOX_REQUIRED("unboxed");

        final String member;

        Reason(String member) {
            this.member = member;
        }
    }

    private final GatewayConfig config;
    private final TrainingRuns runs;
    private final Clock clock;
    private final MeterRegistry registry;
    private final ConcurrentMap<String, Object> admissions = new ConcurrentHashMap<>();

    public TrainingQuota(GatewayConfig config, TrainingRuns runs, Clock clock, MeterRegistry registry) {
        this.config = config;
        this.runs = runs;
        this.clock = clock;
        this.registry = registry;
        validate(config);
    }

    private static void validate(GatewayConfig config) {
        GatewayConfig.TrainingQuota defaults = config.trainingQuota();
        String prefix = "gateway.training-quota.";
        checkLimits(
                new Limits(
                        defaults.concurrentRuns(),
                        defaults.queuedRuns(),
                        defaults.minutesPerDay(),
                        defaults.maxUnboxedImages()),
                prefix + "concurrent-runs",
                prefix + "queued-runs",
                prefix + "minutes-per-day",
                prefix + "max-unboxed-images");
        if (defaults.queuedExpiry().isNegative() || defaults.queuedExpiry().isZero()) {
            throw new IllegalArgumentException(
                    prefix + "queued-expiry must be positive, was " + defaults.queuedExpiry());
        }
        config.auth().keys().keySet().forEach(id -> {
            String key = "gateway.auth.keys." + id + ".";
            checkLimits(
                    limits(config, id),
                    key + "training-concurrent-runs",
                    key + "training-queued-runs",
                    key + "training-minutes-per-day",
                    key + "training-max-unboxed-images");
        });
    }

    private static void checkLimits(Limits limits, String concurrent, String queued, String minutes, String images) {
        if (limits.concurrentRuns() < 1) {
            throw new IllegalArgumentException(concurrent + " must be at least 1, was " + limits.concurrentRuns());
        }
        if (limits.queuedRuns() < 1) {
            throw new IllegalArgumentException(queued + " must be at least 1, was " + limits.queuedRuns());
        }
        if (!(limits.minutesPerDay() > 0) || limits.minutesPerDay() > TrainingRequest.MAX_MINUTES) {
            throw new IllegalArgumentException(minutes + " must be more than 0 and at most "
                    + (long) TrainingRequest.MAX_MINUTES + ", was " + limits.minutesPerDay());
        }
        if (limits.maxUnboxedImages() < 0) {
            throw new IllegalArgumentException(
                    images + " must be at least 0 (0: every run needs maxMinutes), was " + limits.maxUnboxedImages());
        }
    }

    /** The limits {@code keyId} is held to: its own where configured, else the defaults. */
    public Limits limits(String keyId) {
        return limits(config, keyId);
    }

    private static Limits limits(GatewayConfig config, String keyId) {
        GatewayConfig.TrainingQuota defaults = config.trainingQuota();
        GatewayConfig.ApiKey key = keyId == null ? null : config.auth().keys().get(keyId);
        if (key == null) {
            return new Limits(
                    defaults.concurrentRuns(),
                    defaults.queuedRuns(),
                    defaults.minutesPerDay(),
                    defaults.maxUnboxedImages());
        }
        return new Limits(
                key.trainingConcurrentRuns().orElse(defaults.concurrentRuns()),
                key.trainingQueuedRuns().orElse(defaults.queuedRuns()),
                key.trainingMinutesPerDay().orElse(defaults.minutesPerDay()),
                key.trainingMaxUnboxedImages().orElse(defaults.maxUnboxedImages()));
    }

    /** {@code keyId}'s training work now. */
    public TrainingUsage usage(String keyId) {
        return TrainingUsage.of(
                runs.all(), keyId, clock.instant(), config.trainingQuota().queuedExpiry());
    }

    /**
     * Requests a new run with {@code start} if the key's quota allows it, counting the key's requests
     * one at a time on this replica so that two at once cannot both take its last slot.
     *
     * @throws GatewayException 400 for a run that needs a time box or whose box exceeds the key's whole
     *     budget, 429 (with the figures) over a limit
     */
    public <T> T admit(String keyId, TrainingRequest request, Supplier<T> start) {
        synchronized (admissions.computeIfAbsent(String.valueOf(keyId), k -> new Object())) {
            check(keyId, request);
            return start.get();
        }
    }

    private void check(String keyId, TrainingRequest request) {
        Limits limits = limits(keyId);
        long images = request.steps() * request.batchSize();
        if (request.maxMinutes() == 0 && images > limits.maxUnboxedImages()) {
            refused(Reason.BOX_REQUIRED);
            throw new GatewayException(
                    400,
                    "time box required",
                    "field 'maxMinutes' is required for runs above " + limits.maxUnboxedImages()
                            + " images; this run trains " + images + " (" + request.steps() + " steps x "
                            + request.batchSize() + " images)",
                    "maxMinutes");
        }
        if (request.maxMinutes() > limits.minutesPerDay()) {
            refused(Reason.BOX_OVER_BUDGET);
            throw new GatewayException(
                    400,
                    "time box over the training quota",
                    "field 'maxMinutes' must be at most " + figure(limits.minutesPerDay()) + " (API key '" + keyId
                            + "' trains at most that many minutes per 24 h), was " + figure(request.maxMinutes()),
                    "maxMinutes");
        }
        TrainingUsage usage = usage(keyId);
        if (usage.running() >= limits.concurrentRuns()) {
            throw overQuota(
                    Reason.CONCURRENT_RUNS,
                    "API key '" + keyId + "' has " + usage.running() + " of " + limits.concurrentRuns()
                            + " concurrent runs; a run may be requested once one of them ends",
                    usage.untilBoxesEnd(usage.running() - limits.concurrentRuns() + 1)
                            .orElse(null),
                    limits.concurrentRuns(),
                    usage.running(),
                    1);
        }
        if (usage.queued() >= limits.queuedRuns()) {
            throw overQuota(
                    Reason.QUEUED_RUNS,
                    "API key '" + keyId + "' has " + usage.queued() + " of " + limits.queuedRuns()
                            + " queued runs (requested, not started); a run may be requested once one of them starts"
                            + " or is cancelled",
                    null,
                    limits.queuedRuns(),
                    usage.queued(),
                    1);
        }
        double used = usage.minutesUsed();
        if (used + request.maxMinutes() > limits.minutesPerDay()) {
            double excess = used + request.maxMinutes() - limits.minutesPerDay();
            throw overQuota(
                    Reason.TRAINING_MINUTES,
                    "API key '" + keyId + "': " + figure(used) + " of " + figure(limits.minutesPerDay())
                            + " training minutes in the last 24 h are used or committed; this run asks for "
                            + figure(request.maxMinutes()),
                    usage.untilLeft(excess).orElse(null),
                    limits.minutesPerDay(),
                    TrainingUsage.shown(used),
                    request.maxMinutes());
        }
    }

    private GatewayException overQuota(
            Reason reason, String detail, Duration retryAfter, Number limit, Number used, Number requested) {
        refused(reason);
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("quota", reason.member);
        figures.put("limit", limit);
        figures.put("used", used);
        figures.put("requested", requested);
        return GatewayException.overQuota("training quota exceeded", detail, retryAfter, figures);
    }

    private void refused(Reason reason) {
        Counter.builder("ddpm.gateway.training.quota.refusals")
                .description("Training requests refused by the key's training quota, by the limit they hit")
                .tag("reason", reason.member)
                .register(registry)
                .increment();
    }

    /** Minutes as the figures show them: to a tenth, rounded up, without trailing zeros. */
    static String figure(double minutes) {
        return BigDecimal.valueOf(TrainingUsage.shown(minutes))
                .stripTrailingZeros()
                .toPlainString();
    }
}
