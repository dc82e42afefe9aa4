package dev.ddpm.gateway.service;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.diffusion.Schedulers;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.auth.RateLimiter;
import dev.ddpm.gateway.config.GatewayConfig;
import dev.ddpm.proto.common.v1.SampleEvent;
import io.smallrye.mutiny.Multi;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The gateway's own checks on a sampling request before it reaches a sampler, for every API
 * (REST, SSE, gRPC, asynchronous jobs): a model the key may sample ({@link ModelAccess}: its own, or
 * shared with it; any other answers 404 as an unknown model), the most images per request, steps up
 * to the model's T, and
 * the key's quota in network evaluations (images x steps, with the steps a request that names none
 * gets from its model's T). A request is charged only once it passed these checks, and a sampling
 * call given back what it did not use when it ends without a result ({@link #settled}).
 */
@Singleton
public class SamplingQuota {

    /** How long a model's T is trusted before the catalog is read again. */
    static final Duration TIMESTEPS_TTL = Duration.ofMinutes(5);
    /**
     * How long a name without a published model is remembered as such: each miss lists the models
     * bucket, so a client sending unknown names costs one listing per name per this.
     */
    static final Duration UNKNOWN_MODEL_TTL = Duration.ofSeconds(30);
    /** Model names (and versions) whose T is kept; beyond, the least recently asked go first. */
    static final int MAX_MODELS_KEPT = 1024;

    private final GatewayConfig config;
    private final RateLimiter limiter;
    private final ModelCatalog catalog;
    private final ModelAccess access;
    private final ExpiringCache<String, OptionalInt> timesteps;

    public SamplingQuota(GatewayConfig config, RateLimiter limiter, ModelCatalog catalog, ModelAccess access) {
        this.config = config;
        this.limiter = limiter;
        this.catalog = catalog;
        this.access = access;
        this.timesteps = new ExpiringCache<>(MAX_MODELS_KEPT, System::nanoTime);
    }

    /**
     * @return the network evaluations charged, for {@link #refund} should the request not be made
     * @throws GatewayException 400 for too many images, 404 for a model the key may not sample (as for one
     *     that does not exist), 400 for more steps than the model's T, 429 (with the wait) over the key's
     *     evaluations
     */
    public long charge(Caller caller, SamplingRequest body) {
        if (body.count() > config.maxCount()) {
            throw new GatewayException(
                    400,
                    "invalid sampling request",
                    "field 'count' must be at most " + config.maxCount() + ", was " + body.count(),
                    "count");
        }
        // Before anything the model tells (its T): another key's model must not be told from none.
        access.requireVisible(caller, body.model());
        long cost = evaluations(body);
        long wait = limiter.tryAcquireEvaluations(caller.keyId(), cost);
        if (wait > 0) {
            throw GatewayException.tooMany(
                    "sampling quota exceeded",
                    String.format(
                            Locale.ROOT,
                            "API key '%s' may use %.0f network evaluations per second; this request needs %d (%d images x %d "
                                    + "evaluations); retry after %d s",
                            caller.keyId(),
                            limiter.evaluationsPerSecond(caller.keyId()),
                            cost,
                            body.count(),
                            cost / body.count(),
                            wait),
                    wait);
        }
        return cost;
    }

    /** Gives back what {@link #charge} took for a request that was never made (its event never sent). */
    public void refund(Caller caller, long charged) {
        limiter.refundEvaluations(caller.keyId(), charged);
    }

    /**
     * The settlement of one sampling call charged {@code charged}: should the call end without a
     * result, the share it did not use is given back: all of it when the sampler refused it (invalid,
     * unknown model, busy, unavailable, timed out in the queue) or the client left before its first
     * step, the steps not taken when it failed or was cancelled on its way. What was used is what the
     * sampler reported ({@link Settlement#arrived}, fed before any buffer toward the client), not what
     * the client read: a client that stops reading and leaves is charged for the work done.
     */
    public Settlement settlement(Caller caller, long charged) {
        return new Settlement(caller, charged);
    }

    /** See {@link #settlement}. */
    public final class Settlement {

        private final Caller caller;
        private final long charged;
        private volatile double done;
        private volatile boolean resulted;
        private final AtomicBoolean settled = new AtomicBoolean();

        private Settlement(Caller caller, long charged) {
            this.caller = caller;
            this.charged = charged;
        }

        /** An event as the sampler sent it. */
        public void arrived(SampleEvent event) {
            if (event.hasProgress() && event.getProgress().getTotalSteps() > 0) {
                done = Math.min(
                        1.0,
                        (double) event.getProgress().getStep()
                                / event.getProgress().getTotalSteps());
            } else if (event.hasResult()) {
                resulted = true;
            }
        }

        /** The call's events, settled once when they end, fail or are cancelled. */
        public Multi<SampleEvent> of(Multi<SampleEvent> call) {
            return call.onTermination().invoke(this::settle);
        }

        /** Gives back what was not used, once; for a call that ended, or one that was never made. */
        public void settle() {
            if (!resulted && settled.compareAndSet(false, true)) {
                refund(caller, (long) Math.floor(charged * (1 - done)));
            }
        }
    }

    /** Network evaluations the request will take: its steps (at most the model's T) for each image. */
    long evaluations(SamplingRequest body) {
        OptionalInt known = timesteps(body.model(), body.version());
        // A version the catalog has not got is the sampler's to refuse (404, refunded); charged as the default T.
        int t = known.orElse(DiffusionConfig.ho2020().timesteps());
        if (body.steps() != null && body.steps() > t && known.isPresent()) {
            throw new GatewayException(
                    400,
                    "invalid sampling request",
                    "field 'steps' must be in 1.." + t + " for model " + body.model() + ", was " + body.steps(),
                    "steps");
        }
        int steps = Schedulers.steps(body.sampler(), body.steps() == null ? null : Math.min(body.steps(), t), t);
        return (long) body.count() * Schedulers.evaluations(body.sampler(), steps);
    }

    private OptionalInt timesteps(String model, String version) {
        return timesteps.get(
                model + "/" + (version == null ? "" : version),
                key -> catalog.manifest(model, version)
                        .map(ModelManifest::diffusion)
                        .map(m -> OptionalInt.of(m.timesteps()))
                        .orElse(OptionalInt.empty()),
                value -> value.isPresent() ? TIMESTEPS_TTL : UNKNOWN_MODEL_TTL);
    }

    /** Model names whose T (or absence) is kept now. */
    int modelsKept() {
        return timesteps.size();
    }
}
