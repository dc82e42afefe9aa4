package dev.ddpm.gateway.service;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.diffusion.Schedulers;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.auth.RateLimiter;
import dev.ddpm.gateway.config.GatewayConfig;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gateway's own checks on a sampling request before it reaches a sampler, for every API
 * (REST, SSE, gRPC, asynchronous jobs): the most images per request, and the key's quota in network
 * evaluations (images x steps, with the steps a request that names none gets from its model's T).
 */
@Singleton
public class SamplingQuota {

    /** How long a model's T is trusted before the catalog is read again. */
    private static final Duration TIMESTEPS_TTL = Duration.ofMinutes(5);

    private record Timesteps(int value, long readAt) {}

    private final GatewayConfig config;
    private final RateLimiter limiter;
    private final ModelCatalog catalog;
    private final Map<String, Timesteps> timesteps = new ConcurrentHashMap<>();

    public SamplingQuota(GatewayConfig config, RateLimiter limiter, ModelCatalog catalog) {
        this.config = config;
        this.limiter = limiter;
        this.catalog = catalog;
    }

    /**
     * @return the network evaluations charged, for {@link #refund} should the request not be made
     * @throws GatewayException 400 for too many images, 429 (with the wait) over the key's evaluations
     */
    public long charge(Caller caller, SamplingRequest body) {
        if (body.count() > config.maxCount()) {
            throw new GatewayException(
                    400,
                    "invalid sampling request",
                    "field 'count' must be at most " + config.maxCount() + ", was " + body.count(),
                    "count");
        }
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

    /** Network evaluations the request will take. */
    long evaluations(SamplingRequest body) {
        int steps = body.steps() != null
                ? body.steps()
                : Schedulers.steps(body.sampler(), null, timesteps(body.model(), body.version()));
        return (long) body.count() * Schedulers.evaluations(body.sampler(), steps);
    }

    private int timesteps(String model, String version) {
        String key = model + "/" + (version == null ? "" : version);
        long now = System.nanoTime();
        Timesteps known = timesteps.get(key);
        if (known != null && now - known.readAt() < TIMESTEPS_TTL.toNanos()) {
            return known.value();
        }
        // An unknown model is the sampler's to refuse (404); it is charged as the default T until then.
        int value = catalog.manifest(model, version)
                .map(ModelManifest::diffusion)
                .map(DiffusionConfig::timesteps)
                .orElse(DiffusionConfig.ho2020().timesteps());
        timesteps.put(key, new Timesteps(value, now));
        return value;
    }
}
